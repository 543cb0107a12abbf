package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
	"github.com/spf13/cobra"
)

// tokenOptions are the flags of the retroscim token commands; each uses
// the ones it declares.
type tokenOptions struct {
	config  string
	tenant  string
	name    string
	expires string
	grace   string
}

func newTokenCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage the bearer tokens in retroscim's token table",
		Long: `Manage the bearer tokens in retroscim's token table (retroscim migrate
creates it). A new token is shown once; only its SHA-256 is kept.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return unknownCommand(cmd, args, env.stderr)
		},
	}
	cmd.AddCommand(newTokenCreateCmd(env), newTokenListCmd(env), newTokenRevokeCmd(env), newTokenRotateCmd(env), newTokenHashCmd(env))
	return cmd
}

func newTokenCreateCmd(env *cliEnv) *cobra.Command {
	var o tokenOptions
	cmd := &cobra.Command{
		Use:     "create --name NAME [--tenant T]",
		Short:   "Create a bearer token and show it once",
		Example: "  retroscim token create --tenant 1 --name okta-prod --expires 365d",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return tokenCreate(cmd.Context(), o, env.stdout)
		},
	}
	configFlag(cmd, &o.config)
	cmd.Flags().StringVar(&o.tenant, "tenant", "", "tenant the token acts for (required when users.tenant is set)")
	cmd.Flags().StringVar(&o.name, "name", "", "name shown in lists, logs and the audit trail (required)")
	cmd.Flags().StringVar(&o.expires, "expires", "", "lifetime, such as 8760h or 365d (default: never)")
	return cmd
}

func newTokenListCmd(env *cliEnv) *cobra.Command {
	var o tokenOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the tokens: prefix, name, tenant, status, last use",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return tokenList(cmd.Context(), o, env.stdout)
		},
	}
	configFlag(cmd, &o.config)
	return cmd
}

func newTokenRevokeCmd(env *cliEnv) *cobra.Command {
	var o tokenOptions
	cmd := &cobra.Command{
		Use:     "revoke PREFIX|NAME",
		Short:   "Revoke a token, named by its prefix or name",
		Example: "  retroscim token revoke okta-prod",
		Args:    tokenRef,
		RunE: func(cmd *cobra.Command, args []string) error {
			return tokenRevoke(cmd.Context(), o, args[0], env.stdout)
		},
	}
	configFlag(cmd, &o.config)
	return cmd
}

func newTokenRotateCmd(env *cliEnv) *cobra.Command {
	var o tokenOptions
	cmd := &cobra.Command{
		Use:   "rotate PREFIX|NAME",
		Short: "Create a token that replaces an active one",
		Long: `Create a token that replaces an active one. The old token stays valid
until revoked, or for --grace only.`,
		Example: "  retroscim token rotate okta-prod --grace 24h",
		Args:    tokenRef,
		RunE: func(cmd *cobra.Command, args []string) error {
			return tokenRotate(cmd.Context(), o, args[0], env.stdout)
		},
	}
	configFlag(cmd, &o.config)
	cmd.Flags().StringVar(&o.expires, "expires", "", "lifetime of the new token (default: never)")
	cmd.Flags().StringVar(&o.grace, "grace", "", "retire the old token after this long (default: keep it until revoked)")
	return cmd
}

func newTokenHashCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "hash < token.txt",
		Short: "Print the SHA-256 of a token read on stdin, for auth.bearer_tokens[].sha256",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			return tokenHash(env.stdin, env.stdout)
		},
	}
}

// tokenRef takes exactly one token, by prefix or name.
func tokenRef(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return usageError{msg: fmt.Sprintf("name the token by its prefix or name\nRun '%s --help' for usage.", cmd.CommandPath())}
	case len(args) > 1:
		return usageError{msg: fmt.Sprintf("one token at a time: unexpected argument %q", args[1])}
	}
	return nil
}

// openTokens opens the configured store and checks its token table exists.
func openTokens(ctx context.Context, configPath string) (*tokenStore, error) {
	cfg, store, err := openConfigured(ctx, configPath)
	if err != nil {
		return nil, err
	}
	own := ownTables(cfg)
	if err := needOwnTables(ctx, store, own); err != nil {
		store.Close()
		return nil, err
	}
	return &tokenStore{Store: store, cfg: cfg, own: own}, nil
}

// tokenStore is the store with the configuration and tables the token
// commands need.
type tokenStore struct {
	*legacy.Store
	cfg *mapping.Config
	own legacy.OwnTables
}

func tokenCreate(ctx context.Context, o tokenOptions, stdout io.Writer) error {
	if o.name == "" {
		return usageError{msg: "--name is required\nRun 'retroscim token create --help' for usage."}
	}
	s, err := openTokens(ctx, o.config)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := checkTenant(s.cfg, o.tenant); err != nil {
		return err
	}
	life, err := parseLifetime(o.expires)
	if err != nil {
		return err
	}
	tok, t, err := s.CreateToken(ctx, s.own, cliActor(), o.name, o.tenant, life)
	if err != nil {
		return err
	}
	printNewToken(stdout, tok, t)
	return nil
}

func tokenList(ctx context.Context, o tokenOptions, stdout io.Writer) error {
	s, err := openTokens(ctx, o.config)
	if err != nil {
		return err
	}
	defer s.Close()
	tokens, err := s.Tokens(ctx, s.own)
	if err != nil {
		return err
	}
	printTokens(stdout, tokens)
	return nil
}

func tokenRevoke(ctx context.Context, o tokenOptions, ref string, stdout io.Writer) error {
	s, err := openTokens(ctx, o.config)
	if err != nil {
		return err
	}
	defer s.Close()
	tokens, err := s.FindTokens(ctx, s.own, ref)
	if err != nil {
		return err
	}
	var prefixes []string
	for _, t := range tokens {
		prefixes = append(prefixes, t.Prefix)
	}
	n, err := s.RevokeToken(ctx, s.own, cliActor(), prefixes...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked %d token(s): %s\nRequests with them are refused within %s (auth.token_cache_ttl).\n", n, strings.Join(prefixes, ", "), s.cfg.Auth.TokenCacheTTL)
	return nil
}

func tokenRotate(ctx context.Context, o tokenOptions, ref string, stdout io.Writer) error {
	s, err := openTokens(ctx, o.config)
	if err != nil {
		return err
	}
	defer s.Close()
	tokens, err := s.FindTokens(ctx, s.own, ref)
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
	life, err := parseLifetime(o.expires)
	if err != nil {
		return err
	}
	g, err := parseLifetime(o.grace)
	if err != nil {
		return err
	}
	tok, t, oldExpires, err := s.RotateToken(ctx, s.own, cliActor(), old, life, g)
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
