package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
	"github.com/spf13/cobra"
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

func newMigrateCmd(env *cliEnv) *cobra.Command {
	var config string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create retroscim's own tables (tokens, audit)",
		Long: `Create retroscim's own tables (tokens, audit) in the app's database, or in
the schema named in store.schema. Never touches the app's tables; running
it again changes nothing.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return migrate(cmd.Context(), config, env.stdout)
		},
	}
	configFlag(cmd, &config)
	return cmd
}

// migrate creates retroscim's own tables. It never touches the app's.
func migrate(ctx context.Context, configPath string, stdout io.Writer) error {
	cfg, store, err := openConfigured(ctx, configPath)
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

// openRecords opens the store of a command that reads retroscim's own
// records (audit, report) from since ago: the start time, the store and
// its tables, which must exist.
func openRecords(ctx context.Context, path, since string) (time.Time, *legacy.Store, legacy.OwnTables, error) {
	back, err := parseLifetime(since)
	if err != nil {
		return time.Time{}, nil, legacy.OwnTables{}, err
	}
	cfg, store, err := openConfigured(ctx, path)
	if err != nil {
		return time.Time{}, nil, legacy.OwnTables{}, err
	}
	own := ownTables(cfg)
	if err := needOwnTables(ctx, store, own); err != nil {
		store.Close()
		return time.Time{}, nil, legacy.OwnTables{}, err
	}
	return time.Now().Add(-back).UTC(), store, own, nil
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

// checkTenant requires a tenant exactly when the mapping has tenants.
func checkTenant(cfg *mapping.Config, tenant string) error {
	switch {
	case cfg.Users.HasTenant() && tenant == "":
		return usageError{msg: "--tenant is required: the mapping has tenants (users.tenant or users.tenant_through), so every token acts for one tenant"}
	case !cfg.Users.HasTenant() && tenant != "":
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
