package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// kindWords are the kinds of change in the order a report lists them,
// as it words them.
var kindWords = []struct{ kind, words string }{
	{"create", "created"},
	{"update", "updated"},
	{"deactivate", "deactivated"},
	{"reactivate", "reactivated"},
	{"members", "with members changed"},
	{"delete", "deleted"},
	{"unchanged", "unchanged (the request would write nothing)"},
}

// printReport prints a dry-run report for a person.
func printReport(w io.Writer, rep dryRunReport) {
	fmt.Fprintf(w, "Dry run since %s: %d write requests recorded; nothing was written.\n", rep.Since.Format(time.RFC3339), rep.Requests)
	if len(rep.Tenants) == 0 {
		fmt.Fprintln(w, "\nNo write requests were served in dry-run mode in that time.")
		return
	}
	for _, t := range rep.Tenants {
		name := t.Tenant
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(w, "\nTenant %s: %d requests\n", name, t.Requests)
		for _, typ := range []string{"User", "Group"} {
			var parts []string
			for _, k := range kindWords {
				if n := t.Changes[typ][k.kind]; n > 0 {
					parts = append(parts, fmt.Sprintf("%d %s", n, k.words))
				}
			}
			if len(parts) > 0 {
				fmt.Fprintf(w, "  %-12s %s\n", typ+"s:", strings.Join(parts, ", "))
			}
		}
		if t.MembershipsAdded+t.MembershipsRemoved > 0 {
			fmt.Fprintf(w, "  %-12s %d added, %d removed\n", "Memberships:", t.MembershipsAdded, t.MembershipsRemoved)
		}
		if len(t.Attributes) > 0 {
			fmt.Fprintln(w, "  Attributes that would change:")
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			for _, a := range t.Attributes {
				fmt.Fprintf(tw, "    %s\t%s\t%s\t%s on %s\n", a.Resource, a.Attribute, dash(strings.Join(a.Columns, ", ")), plural(a.Changes, "change"), plural(a.Rows, "row"))
			}
			tw.Flush()
		}
		if len(t.Refused) > 0 {
			n := 0
			for _, r := range t.Refused {
				n += r.Requests
			}
			fmt.Fprintf(w, "  Refused: %s\n", plural(n, "request"))
			for _, r := range t.Refused {
				why := fmt.Sprint(r.Status)
				if r.SCIMType != "" {
					why += " " + r.SCIMType
				}
				eg := ""
				if r.Requests > 1 {
					eg = "e.g. "
				}
				fmt.Fprintf(w, "    %s %s (%s: %s): %s%s\n", why, r.Resource, plural(r.Requests, "request"), strings.Join(r.IDs, ", "), eg, r.Detail)
			}
		}
		if len(t.Repeated) > 0 {
			fmt.Fprintln(w, "  Touched more than once:")
			for _, r := range t.Repeated {
				fmt.Fprintf(w, "    %s %s: %s\n", r.Resource, r.ID, strings.Join(r.Kinds, ", "))
				for _, c := range r.Conflicts {
					fmt.Fprintf(w, "      conflict: %s\n", c)
				}
			}
		}
	}
}

// plural is "1 row" or "3 rows".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
