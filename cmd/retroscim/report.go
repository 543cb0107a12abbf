package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/retroscim/retroscim/legacy"
	"github.com/spf13/cobra"
)

// reportDryRun prints what a dry run would have changed, from the
// dry-run table (retroscim report).
// reportOptions are the flags of retroscim report.
type reportOptions struct {
	config string
	since  string
	tenant string
	format string
}

func newReportCmd(env *cliEnv) *cobra.Command {
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Print what a dry run would have changed",
		Long: `Print what a dry run (serve --dry-run, server.dry_run: true) would have
changed: per tenant and kind of change, the attributes and columns,
memberships, refused requests, and rows touched more than once or in
conflicting ways.`,
		Example: `  retroscim report --since 24h
  retroscim report --since 7d --tenant 42 --format json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return reportDryRun(cmd.Context(), o, env.stdout)
		},
	}
	configFlag(cmd, &o.config)
	f := cmd.Flags()
	f.StringVar(&o.since, "since", "24h", "how far back, such as 1h or 7d")
	f.StringVar(&o.tenant, "tenant", "", "only this tenant")
	f.StringVar(&o.format, "format", "text", "text or json")
	completeValues(cmd, "format", "text", "json")
	return cmd
}

// reportDryRun prints the dry-run report.
func reportDryRun(ctx context.Context, o reportOptions, stdout io.Writer) error {
	if o.format != "text" && o.format != "json" {
		return usageError{msg: fmt.Sprintf("--format %q: use text or json", o.format)}
	}
	from, store, own, err := openRecords(ctx, o.config, o.since)
	if err != nil {
		return err
	}
	defer store.Close()
	if ok, err := store.DryRunTableExists(ctx, own); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("%s does not exist: run retroscim migrate, then serve with server.dry_run: true", own.DryRun())
	}
	entries, err := store.DryRunEntries(ctx, own, legacy.DryRunQuery{Since: from, Tenant: o.tenant})
	if err != nil {
		return err
	}
	rep := buildReport(from, entries)
	if o.format == "json" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, string(b))
		return err
	}
	printReport(stdout, rep)
	return nil
}

// dryRunReport is what a dry run would have changed, per tenant.
type dryRunReport struct {
	Since    time.Time      `json:"since"`
	Requests int            `json:"requests"`
	Tenants  []tenantReport `json:"tenants"`
}

// tenantReport is one tenant's part of a dry-run report.
type tenantReport struct {
	Tenant   string `json:"tenant"`
	Requests int    `json:"requests"`
	// Changes counts would-be changes by resource type, then kind
	// (create, update, deactivate, reactivate, members, delete, unchanged).
	Changes map[string]map[string]int `json:"changes"`
	// Attributes are the attributes that would change, with their columns.
	Attributes []attributeReport `json:"attributes"`
	// MembershipsAdded and MembershipsRemoved count (group, user) pairs.
	MembershipsAdded   int              `json:"memberships_added"`
	MembershipsRemoved int              `json:"memberships_removed"`
	Refused            []refusalReport  `json:"refused"`
	Repeated           []repeatedReport `json:"touched_more_than_once"`
}

// attributeReport is one attribute that would change: in how many
// changes, on how many distinct rows.
type attributeReport struct {
	Resource  string   `json:"resource"`
	Attribute string   `json:"attribute"`
	Columns   []string `json:"columns"`
	Changes   int      `json:"changes"`
	Rows      int      `json:"rows"`
}

// refusalReport is the requests refused with one status and scimType
// for one resource type: the first one's detail stands for them all (the
// others differ by the ids they name).
type refusalReport struct {
	Resource string   `json:"resource"`
	Status   int      `json:"status"`
	SCIMType string   `json:"scim_type,omitempty"`
	Detail   string   `json:"detail"`
	Requests int      `json:"requests"`
	IDs      []string `json:"ids"`
}

// repeatedReport is a row that would be changed more than once, and the
// ways those changes conflict.
type repeatedReport struct {
	Resource  string   `json:"resource"`
	ID        string   `json:"id"`
	Kinds     []string `json:"kinds"`
	Conflicts []string `json:"conflicts,omitempty"`
}

// attrChange is one attribute of a recorded change.
type attrChange struct {
	Attribute string   `json:"attribute"`
	Before    any      `json:"before"`
	After     any      `json:"after"`
	Columns   []string `json:"columns"`
}

// memberChange is a recorded change of a group's members.
type memberChange struct {
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
}

// buildReport sums up entries (oldest first) per tenant.
func buildReport(since time.Time, entries []legacy.DryRunEntry) dryRunReport {
	rep := dryRunReport{Since: since.UTC(), Tenants: []tenantReport{}}
	byTenant := map[string][]legacy.DryRunEntry{}
	var tenants []string
	requests := map[string]bool{}
	for _, e := range entries {
		if _, ok := byTenant[e.Tenant]; !ok {
			tenants = append(tenants, e.Tenant)
		}
		byTenant[e.Tenant] = append(byTenant[e.Tenant], e)
		requests[e.RequestID] = true
	}
	rep.Requests = len(requests)
	sort.Strings(tenants)
	for _, t := range tenants {
		rep.Tenants = append(rep.Tenants, tenantOf(t, byTenant[t]))
	}
	return rep
}

// rowKey names one resource.
type rowKey struct{ typ, id string }

func tenantOf(tenant string, entries []legacy.DryRunEntry) tenantReport {
	tr := tenantReport{Tenant: tenant, Changes: map[string]map[string]int{}, Attributes: []attributeReport{}, Refused: []refusalReport{}, Repeated: []repeatedReport{}}
	requests := map[string]bool{}
	type attrKey struct{ typ, attr string }
	attrs := map[attrKey]*attributeReport{}
	attrRows := map[attrKey]map[string]bool{}
	var attrOrder []attrKey
	refusals := map[string]*refusalReport{}
	var refusalOrder []string
	kinds := map[rowKey][]string{}
	afters := map[rowKey]map[string][]string{}
	members := map[rowKey]map[string][]string{}
	var rows []rowKey
	for _, e := range entries {
		requests[e.RequestID] = true
		if e.Kind == "refused" {
			k := fmt.Sprintf("%s\x00%d\x00%s", e.ResourceType, e.Status, e.SCIMType)
			r := refusals[k]
			if r == nil {
				r = &refusalReport{Resource: e.ResourceType, Status: e.Status, SCIMType: e.SCIMType, Detail: e.Detail, IDs: []string{}}
				refusals[k] = r
				refusalOrder = append(refusalOrder, k)
			}
			r.Requests++
			if id := dash(e.ResourceID); !contains(r.IDs, id) {
				r.IDs = append(r.IDs, id)
			}
			continue
		}
		if tr.Changes[e.ResourceType] == nil {
			tr.Changes[e.ResourceType] = map[string]int{}
		}
		tr.Changes[e.ResourceType][e.Kind]++
		if e.Kind == "unchanged" {
			continue
		}
		row := rowKey{e.ResourceType, e.ResourceID}
		if e.Kind == "create" {
			row.id = "(new) " + e.RequestID
		}
		if _, ok := kinds[row]; !ok {
			rows = append(rows, row)
			afters[row], members[row] = map[string][]string{}, map[string][]string{}
		}
		kinds[row] = append(kinds[row], e.Kind)
		if e.Kind == "members" {
			var m memberChange
			_ = json.Unmarshal([]byte(e.Changes), &m)
			tr.MembershipsAdded += len(m.Added)
			tr.MembershipsRemoved += len(m.Removed)
			for _, u := range m.Added {
				members[row][u] = append(members[row][u], "added")
			}
			for _, u := range m.Removed {
				members[row][u] = append(members[row][u], "removed")
			}
			continue
		}
		var changes []attrChange
		_ = json.Unmarshal([]byte(e.Changes), &changes)
		for _, c := range changes {
			k := attrKey{e.ResourceType, c.Attribute}
			a := attrs[k]
			if a == nil {
				a = &attributeReport{Resource: e.ResourceType, Attribute: c.Attribute, Columns: c.Columns}
				if a.Columns == nil {
					a.Columns = []string{}
				}
				attrs[k], attrRows[k] = a, map[string]bool{}
				attrOrder = append(attrOrder, k)
			}
			a.Changes++
			attrRows[k][row.id] = true
			a.Rows = len(attrRows[k])
			after, _ := json.Marshal(c.After)
			if vals := afters[row][c.Attribute]; !contains(vals, string(after)) {
				afters[row][c.Attribute] = append(vals, string(after))
			}
		}
	}
	tr.Requests = len(requests)
	sort.Slice(attrOrder, func(i, j int) bool {
		if attrOrder[i].typ != attrOrder[j].typ {
			return attrOrder[i].typ > attrOrder[j].typ // User before Group
		}
		return attrOrder[i].attr < attrOrder[j].attr
	})
	for _, k := range attrOrder {
		tr.Attributes = append(tr.Attributes, *attrs[k])
	}
	for _, k := range refusalOrder {
		tr.Refused = append(tr.Refused, *refusals[k])
	}
	for _, row := range rows {
		if len(kinds[row]) < 2 {
			continue
		}
		tr.Repeated = append(tr.Repeated, repeatedReport{Resource: row.typ, ID: row.id, Kinds: kinds[row], Conflicts: conflictsOf(kinds[row], afters[row], members[row])})
	}
	return tr
}

// conflictsOf says how the changes of one row disagree: deactivated and
// reactivated, an attribute set to different values, a member added and
// removed.
func conflictsOf(kinds []string, afters, members map[string][]string) []string {
	var out []string
	if contains(kinds, "deactivate") && contains(kinds, "reactivate") {
		var seq []string
		for _, k := range kinds {
			if k == "deactivate" || k == "reactivate" {
				seq = append(seq, k+"d")
			}
		}
		out = append(out, strings.Join(seq, ", then "))
	}
	var names []string
	for a, vals := range afters {
		if len(vals) > 1 && a != "active" {
			names = append(names, a)
		}
	}
	sort.Strings(names)
	for _, a := range names {
		out = append(out, fmt.Sprintf("%s set to %d different values: %s", a, len(afters[a]), strings.Join(afters[a], ", ")))
	}
	var users []string
	for u, ops := range members {
		if contains(ops, "added") && contains(ops, "removed") {
			users = append(users, u)
		}
	}
	sort.Strings(users)
	for _, u := range users {
		out = append(out, fmt.Sprintf("member %s %s", u, strings.Join(members[u], ", then ")))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
