package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// ownTables locates retroscim's own tables as the configuration says.
func ownTables(cfg *mapping.Config) legacy.OwnTables {
	return legacy.OwnTables{Schema: cfg.Store.Schema, Prefix: cfg.Store.Prefix}
}

// openConfigured loads a configuration and connects to its database,
// without binding the mapping (the admin commands do not need it).
func openConfigured(ctx context.Context, path string) (*mapping.Config, *legacy.Store, error) {
	cfg, err := mapping.LoadFile(path)
	if err != nil {
		return nil, nil, err
	}
	store, err := openStore(ctx, cfg, nil)
	if err != nil {
		return nil, nil, err
	}
	return cfg, store, nil
}

// migrate creates retroscim's own tables. It never touches the app's.
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stderr)
	configPath := fs.String("config", "config.yaml", "configuration file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, store, err := openConfigured(ctx, *configPath)
	if err != nil {
		return err
	}
	defer store.Close()
	own := ownTables(cfg)
	done, err := store.Migrate(ctx, own)
	if err != nil {
		return err
	}
	if len(done) == 0 {
		fmt.Fprintf(stdout, "retroscim's tables %s, %s and %s are up to date.\n", own.Tokens(), own.Audit(), own.DryRun())
		return nil
	}
	for _, d := range done {
		fmt.Fprintln(stdout, d)
	}
	return nil
}

// needOwnTables fails with what to do when migrate has not run (or not
// since an upgrade).
func needOwnTables(ctx context.Context, store *legacy.Store, own legacy.OwnTables) error {
	return store.CheckOwnTables(ctx, own)
}

// cliActor is who runs a token command, for the audit trail: "cli", the
// operating system's user and host, and an id for the command's entries.
func cliActor() legacy.Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	} else if u := os.Getenv("USER"); u != "" {
		name = u
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		name += "@" + h
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return legacy.Actor{Prefix: "cli", Name: name, RequestID: hex.EncodeToString(b)}
}

const tokenUsage = `usage:
  retroscim token create --tenant T --name okta-prod [--expires 8760h] [--config config.yaml]
  retroscim token list   [--config config.yaml]
  retroscim token revoke <prefix or name> [--config config.yaml]
  retroscim token rotate <prefix or name> [--expires 8760h] [--grace 24h] [--config config.yaml]
  retroscim token hash   < token.txt`

func token(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{msg: tokenUsage}
	}
	switch args[0] {
	case "hash":
		return tokenHash(stdin, stdout)
	case "create", "list", "revoke", "rotate":
	default:
		return usageError{msg: fmt.Sprintf("unknown token command %q\n%s", args[0], tokenUsage)}
	}
	fs := newFlagSet("token "+args[0], stderr)
	configPath := fs.String("config", "config.yaml", "configuration file")
	var tenant, name *string
	var expires, grace *string
	switch args[0] {
	case "create":
		tenant = fs.String("tenant", "", "tenant the token acts for (required when users.tenant is set)")
		name = fs.String("name", "", "name shown in lists, logs and the audit trail (required)")
		expires = fs.String("expires", "", "lifetime, such as 8760h or 365d (default: never)")
	case "rotate":
		expires = fs.String("expires", "", "lifetime of the new token (default: never)")
		grace = fs.String("grace", "", "retire the old token after this long (default: keep it until revoked)")
	}
	// Flags may come before or after the token reference.
	positional, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	var ref string
	switch {
	case args[0] != "revoke" && args[0] != "rotate":
		if len(positional) > 0 {
			return usageError{msg: fmt.Sprintf("unexpected argument %q", positional[0])}
		}
	case len(positional) == 0:
		return usageError{msg: "name the token by its prefix or name\n" + tokenUsage}
	case len(positional) > 1:
		return usageError{msg: fmt.Sprintf("one token at a time: unexpected argument %q", positional[1])}
	default:
		ref = positional[0]
	}
	cfg, store, err := openConfigured(ctx, *configPath)
	if err != nil {
		return err
	}
	defer store.Close()
	own := ownTables(cfg)
	if err := needOwnTables(ctx, store, own); err != nil {
		return err
	}
	switch args[0] {
	case "create":
		if *name == "" {
			return usageError{msg: "--name is required\n" + tokenUsage}
		}
		if err := checkTenant(cfg, *tenant); err != nil {
			return err
		}
		life, err := parseLifetime(*expires)
		if err != nil {
			return err
		}
		tok, t, err := store.CreateToken(ctx, own, cliActor(), *name, *tenant, life)
		if err != nil {
			return err
		}
		printNewToken(stdout, tok, t)
		return nil
	case "list":
		tokens, err := store.Tokens(ctx, own)
		if err != nil {
			return err
		}
		printTokens(stdout, tokens)
		return nil
	case "revoke":
		tokens, err := store.FindTokens(ctx, own, ref)
		if err != nil {
			return err
		}
		var prefixes []string
		for _, t := range tokens {
			prefixes = append(prefixes, t.Prefix)
		}
		n, err := store.RevokeToken(ctx, own, cliActor(), prefixes...)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %d token(s): %s\nRequests with them are refused within %s (auth.token_cache_ttl).\n", n, strings.Join(prefixes, ", "), cfg.Auth.TokenCacheTTL)
		return nil
	default: // rotate
		tokens, err := store.FindTokens(ctx, own, ref)
		if err != nil {
			return err
		}
		var old legacy.Token
		for _, t := range tokens {
			if t.Status(time.Now()) == "active" {
				old = t
				break
			}
		}
		if old.Prefix == "" {
			return fmt.Errorf("no active token %q to rotate; create one with retroscim token create", ref)
		}
		life, err := parseLifetime(*expires)
		if err != nil {
			return err
		}
		g, err := parseLifetime(*grace)
		if err != nil {
			return err
		}
		tok, t, oldExpires, err := store.RotateToken(ctx, own, cliActor(), old, life, g)
		if err != nil {
			return err
		}
		printNewToken(stdout, tok, t)
		if g > 0 {
			fmt.Fprintf(stdout, "The old token %s stays valid until %s, then expires.\n", old.Prefix, oldExpires.UTC().Format(time.RFC3339))
		} else {
			fmt.Fprintf(stdout, "The old token %s stays valid alongside the new one: once the identity provider uses the new token, run\n  retroscim token revoke %s\n", old.Prefix, old.Prefix)
		}
		return nil
	}
}

// checkTenant requires a tenant exactly when the mapping has tenants.
func checkTenant(cfg *mapping.Config, tenant string) error {
	switch {
	case cfg.Users.TenantColumn != "" && tenant == "":
		return usageError{msg: fmt.Sprintf("--tenant is required: users.tenant is %s, so every token acts for one tenant", cfg.Users.TenantColumn)}
	case cfg.Users.TenantColumn == "" && tenant != "":
		return usageError{msg: "--tenant given, but the mapping has no tenants (users.tenant is not set)"}
	case len(tenant) > 64:
		return usageError{msg: "--tenant is longer than 64 characters"}
	}
	return nil
}

// parseLifetime parses a Go duration, also accepting days ("365d").
func parseLifetime(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, usageError{msg: fmt.Sprintf("%q is not a lifetime: use hours (8760h) or days (365d)", s)}
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, usageError{msg: fmt.Sprintf("%q is not a lifetime: use hours (8760h) or days (365d)", s)}
	}
	return d, nil
}

func printNewToken(w io.Writer, tok string, t legacy.Token) {
	exp := "never expires"
	if t.ExpiresAt != nil {
		exp = "expires " + t.ExpiresAt.UTC().Format(time.RFC3339)
	}
	tenant := ""
	if t.Tenant != "" {
		tenant = ", tenant " + t.Tenant
	}
	fmt.Fprintf(w, "New bearer token %q (%s%s), %s:\n\n    %s\n\n"+
		"It is shown only now: paste it into the identity provider (Okta: Provisioning > Integration,\n"+
		"HTTP Header authorization). retroscim keeps only its SHA-256; %s identifies it in lists and logs.\n",
		t.Name, t.Prefix, tenant, exp, tok, t.Prefix)
}

func printTokens(w io.Writer, tokens []legacy.Token) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PREFIX\tNAME\tTENANT\tSTATUS\tCREATED\tLAST USED\tEXPIRES")
	now := time.Now()
	for _, t := range tokens {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Prefix, t.Name, dash(t.Tenant), t.Status(now),
			t.CreatedAt.UTC().Format("2006-01-02 15:04"), stamp(t.LastUsedAt), stamp(t.ExpiresAt))
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func stamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func tokenHash(stdin io.Reader, stdout io.Writer) error {
	b, err := io.ReadAll(io.LimitReader(stdin, 4096))
	if err != nil {
		return err
	}
	t := strings.TrimSpace(string(b))
	if len(t) < 16 {
		return errors.New("a bearer token must be at least 16 characters long")
	}
	sum := sha256.Sum256([]byte(t))
	fmt.Fprintln(stdout, hex.EncodeToString(sum[:]))
	return nil
}

// audit prints the recorded writes.
func audit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit", stderr)
	configPath := fs.String("config", "config.yaml", "configuration file")
	since := fs.String("since", "24h", "how far back, such as 1h or 7d")
	tenant := fs.String("tenant", "", "only this tenant")
	typ := fs.String("type", "", "only User or Group")
	id := fs.String("id", "", "only this resource id")
	outcome := fs.String("outcome", "", "only committed, refused (4xx) or failed (5xx) writes")
	limit := fs.Int("limit", 1000, "at most this many entries")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	back, err := parseLifetime(*since)
	if err != nil {
		return err
	}
	cfg, store, err := openConfigured(ctx, *configPath)
	if err != nil {
		return err
	}
	defer store.Close()
	own := ownTables(cfg)
	if err := needOwnTables(ctx, store, own); err != nil {
		return err
	}
	switch *outcome {
	case "", "committed", "refused", "failed":
	default:
		return usageError{msg: fmt.Sprintf("--outcome %q: use committed, refused or failed", *outcome)}
	}
	entries, err := store.AuditEntries(ctx, own, legacy.AuditQuery{Since: time.Now().Add(-back), Tenant: *tenant, ResourceType: *typ, ResourceID: *id, Outcome: *outcome, Limit: *limit})
	if err != nil {
		return err
	}
	for _, e := range entries {
		if *asJSON {
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
		fmt.Fprintf(stderr, "no writes recorded in the last %s\n", *since)
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
