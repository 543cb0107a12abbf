package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
	"github.com/spf13/cobra"
)

// auditOptions are the flags of retroscim audit.
type auditOptions struct {
	config  string
	since   string
	tenant  string
	typ     string
	id      string
	outcome string
	limit   int
	json    bool
}

func newAuditCmd(env *cliEnv) *cobra.Command {
	var o auditOptions
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Print the recorded writes",
		Long:  "Print the writes recorded in retroscim's audit table, oldest first: who, what, and the outcome.",
		Example: `  retroscim audit --since 1h --type User --outcome refused
  retroscim audit --since 7d --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return audit(cmd.Context(), o, env.stdout, env.stderr)
		},
	}
	configFlag(cmd, &o.config)
	f := cmd.Flags()
	f.StringVar(&o.since, "since", "24h", "how far back, such as 1h or 7d")
	f.StringVar(&o.tenant, "tenant", "", "only this tenant")
	f.StringVar(&o.typ, "type", "", "only User, Group or Token")
	f.StringVar(&o.id, "id", "", "only this resource id")
	f.StringVar(&o.outcome, "outcome", "", "only committed, refused (4xx) or failed (5xx) writes")
	f.IntVar(&o.limit, "limit", 1000, "at most this many entries")
	f.BoolVar(&o.json, "json", false, "one JSON object per line")
	completeValues(cmd, "type", "User", "Group", "Token")
	completeValues(cmd, "outcome", "committed", "refused", "failed")
	return cmd
}

// audit prints the recorded writes.
func audit(ctx context.Context, o auditOptions, stdout, stderr io.Writer) error {
	from, store, own, err := openRecords(ctx, o.config, o.since)
	if err != nil {
		return err
	}
	defer store.Close()
	switch o.outcome {
	case "", "committed", "refused", "failed":
	default:
		return usageError{msg: fmt.Sprintf("--outcome %q: use committed, refused or failed", o.outcome)}
	}
	entries, err := store.AuditEntries(ctx, own, legacy.AuditQuery{Since: from, Tenant: o.tenant, ResourceType: o.typ, ResourceID: o.id, Outcome: o.outcome, Limit: o.limit})
	if err != nil {
		return err
	}
	for _, e := range entries {
		if o.json {
			line, _ := json.Marshal(map[string]any{"at": e.At.UTC().Format(time.RFC3339Nano), "request_id": e.RequestID,
				"client_request_id": e.ClientRequestID, "token": e.TokenPrefix, "token_name": e.TokenName, "tenant": e.Tenant,
				"resource": e.ResourceType, "id": e.ResourceID, "op": e.Operation, "changes": json.RawMessage(e.Changes),
				"outcome": e.Outcome(), "status": e.Status, "scim_type": e.SCIMType, "detail": e.Detail})
			fmt.Fprintln(stdout, string(line))
			continue
		}
		what := describeChanges(e.Changes)
		if e.Outcome() != "committed" {
			what = fmt.Sprintf("%s %d", e.Outcome(), e.Status)
			if e.SCIMType != "" {
				what += " " + e.SCIMType
			}
			what += ": " + e.Detail
		}
		fmt.Fprintf(stdout, "%s  %s (%s)  tenant %s  %s %s  %s  %s  %s\n", e.At.UTC().Format(time.RFC3339), e.TokenName, e.TokenPrefix,
			dash(e.Tenant), e.ResourceType, dash(e.ResourceID), e.Operation, what, describeRequest(e))
	}
	if len(entries) == 0 {
		fmt.Fprintf(stderr, "no writes recorded in the last %s\n", o.since)
	}
	return nil
}

// describeRequest names the request an entry came from: retroscim's id,
// and the client's when it sent one.
func describeRequest(e legacy.AuditEntry) string {
	if e.RequestID == "" {
		return ""
	}
	if e.ClientRequestID != "" {
		return "(request " + e.RequestID + ", client's " + e.ClientRequestID + ")"
	}
	return "(request " + e.RequestID + ")"
}

// describeChanges renders the changes JSON as attribute: before -> after.
func describeChanges(raw string) string {
	var diff []mapping.AttrChange
	if json.Unmarshal([]byte(raw), &diff) == nil {
		parts := make([]string, len(diff))
		for i, d := range diff {
			b, _ := json.Marshal(d.Before)
			a, _ := json.Marshal(d.After)
			parts[i] = fmt.Sprintf("%s: %s -> %s", d.Attribute, b, a)
		}
		return strings.Join(parts, "; ")
	}
	return raw
}
