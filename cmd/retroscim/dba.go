package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/retroscim/retroscim/adapter"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
	"github.com/spf13/cobra"
)

// exitCode ends a command with a status other than 0 or 1, after it has
// printed what it had to say (check exits 2 for warnings only).
type exitCode int

func (e exitCode) Error() string { return "exit status " + strconv.Itoa(int(e)) }

// checkOptions are the flags of retroscim check.
type checkOptions struct {
	config string
	format string
}

func newCheckCmd(env *cliEnv) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the mapping against the live schema (read-only)",
		Long: `Check the mapping against the live schema, read-only: missing columns,
types, lengths, collations, indexes, privileges, rows in scope.

Exit 0 clean, 1 errors, 2 warnings only.`,
		Example: "  retroscim check --config config.yaml --format json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return check(cmd.Context(), o, env.stdout)
		},
	}
	configFlag(cmd, &o.config)
	cmd.Flags().StringVar(&o.format, "format", "text", "text or json")
	completeValues(cmd, "format", "text", "json")
	return cmd
}

// check verifies a configuration against the live database, read-only.
func check(ctx context.Context, o checkOptions, stdout io.Writer) error {
	if o.format != "text" && o.format != "json" {
		return usageError{msg: "--format is text or json"}
	}
	var findings []mapping.Finding
	var counts []scopeCount
	cfg, err := mapping.LoadFile(o.config)
	var ces mapping.ConfigErrors
	switch {
	case errors.As(err, &ces):
		for _, e := range ces {
			findings = append(findings, mapping.Finding{Severity: mapping.SevError, Check: "config", File: e.File, Line: e.Line, Key: e.Key, Message: e.Msg})
		}
	case err != nil:
		return err
	default:
		// A character set that would make serve refuse to start is a
		// finding like the others, so the store interpolates nothing here.
		opts := storeOptions(cfg, nil)
		opts.TolerateUnsafeCharset = true
		store, err := legacy.Open(ctx, cfg.Database.DSN, opts)
		if err != nil {
			return err
		}
		defer store.Close()
		facts := mapping.SchemaFacts{Columns: map[string][]mapping.Column{}, Indexes: map[string][]mapping.Index{}, Rows: map[string]mapping.RowCount{}}
		if facts.Tables, err = store.Tables(ctx); err != nil {
			return err
		}
		for _, t := range cfg.Tables() {
			cols, err := store.Columns(ctx, t)
			if errors.Is(err, legacy.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			facts.Columns[t] = adapter.MappingColumns(cols)
			idx, err := store.Indexes(ctx, t)
			if err != nil {
				return err
			}
			facts.Indexes[t] = adapter.MappingIndexes(idx)
		}
		// Count rows in scope only when every column exists; otherwise the
		// findings say what is missing.
		if cfg.Bind(facts.Columns) == nil {
			if counts, err = scopeCounts(ctx, cfg, store); err != nil {
				return err
			}
			for _, c := range counts {
				rc := facts.Rows[c.Resource]
				rc.InScope += c.InScope
				rc.Total += c.Total
				facts.Rows[c.Resource] = rc
			}
		}
		if err := accountFacts(ctx, cfg, store, &facts); err != nil {
			return err
		}
		if err := ddlFacts(ctx, store, &facts); err != nil {
			return err
		}
		findings = cfg.Check(facts)
		if ce := store.UnsafeCharset(); ce != nil {
			findings = append([]mapping.Finding{{Severity: mapping.SevError, Check: "charset", File: cfg.File, Key: "database.dsn",
				Message: ce.Error() + "; retroscim serve refuses to start until it is fixed"}}, findings...)
		}
	}
	var errs, warns int
	for _, f := range findings {
		switch f.Severity {
		case mapping.SevError:
			errs++
		case mapping.SevWarning:
			warns++
		}
	}
	if o.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if findings == nil {
			findings = []mapping.Finding{}
		}
		if counts == nil {
			counts = []scopeCount{}
		}
		_ = enc.Encode(map[string]any{"findings": findings, "scope": counts, "errors": errs, "warnings": warns})
	} else {
		printFindings(stdout, findings, counts, errs, warns)
	}
	switch {
	case errs > 0:
		return exitCode(1)
	case warns > 0:
		return exitCode(2)
	}
	return nil
}

// accountFacts adds to facts what check needs to judge the database
// account's grants: the grants, and retroscim's own tables.
func accountFacts(ctx context.Context, cfg *mapping.Config, store *legacy.Store, facts *mapping.SchemaFacts) error {
	grants, err := store.Grants(ctx)
	if err != nil {
		return err
	}
	facts.Privileges, facts.Account, facts.Database = grants, grants.Account, grants.Database
	own := ownTables(cfg)
	exist, err := store.OwnTablesExist(ctx, own)
	if err != nil {
		return err
	}
	unquote := func(s string) string { return strings.ReplaceAll(s, "`", "") }
	facts.Own = mapping.OwnTableFacts{Tokens: unquote(own.Tokens()), Audit: unquote(own.Audit()), DryRun: unquote(own.DryRun()), Exist: exist}
	return nil
}

// ddlFacts adds what check's fixes are written from: the server's own
// definition of every table check found, and its character sets.
func ddlFacts(ctx context.Context, store *legacy.Store, facts *mapping.SchemaFacts) error {
	charsets, err := store.Charsets(ctx)
	if err != nil {
		return err
	}
	facts.Charsets = map[string]mapping.Charset{}
	for name, cs := range charsets {
		facts.Charsets[name] = mapping.Charset{MaxLen: cs.MaxLen, DefaultCollation: cs.DefaultCollation, Collations: cs.Collations}
	}
	facts.Definitions = map[string]mapping.TableDefinition{}
	for t := range facts.Columns {
		def, err := store.TableDefinition(ctx, t)
		if errors.Is(err, legacy.ErrDenied) {
			continue // SHOW CREATE TABLE needs a privilege on the table, not just on columns: no fix needs it then
		}
		if err != nil {
			return err
		}
		facts.Definitions[t] = mapping.TableDefinition{Columns: def.Columns, KeyBytes: def.KeyBytes, ColumnBytes: def.ColumnBytes}
	}
	return nil
}

// scopeCount is, per resource and tenant, the rows SCIM sees.
type scopeCount struct {
	Resource string `json:"resource"`
	Tenant   string `json:"tenant"`
	InScope  int64  `json:"in_scope"`
	Total    int64  `json:"total"`
}

func scopeCounts(ctx context.Context, cfg *mapping.Config, store *legacy.Store) ([]scopeCount, error) {
	var out []scopeCount
	for _, r := range []*mapping.Resource{cfg.Users, cfg.Groups} {
		if r == nil || !r.Bound() {
			continue
		}
		q := r.ScopeCountQuery()
		rows, err := store.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("count %s rows in scope: %w", r.Table, err)
		}
		for _, row := range rows {
			in, _ := strconv.ParseInt(mapping.KeyString(row[1]), 10, 64)
			total, _ := strconv.ParseInt(mapping.KeyString(row[2]), 10, 64)
			out = append(out, scopeCount{Resource: r.Type, Tenant: mapping.KeyString(row[0]), InScope: in, Total: total})
		}
	}
	return out, nil
}

func printFindings(w io.Writer, findings []mapping.Finding, counts []scopeCount, errs, warns int) {
	for _, f := range findings {
		loc := f.File
		if f.Line > 0 {
			loc += ":" + strconv.Itoa(f.Line)
		}
		fmt.Fprintf(w, "%s: %s [%s] %s: %s\n", loc, f.Severity, f.Check, f.Key, f.Message)
		if f.Fix != "" {
			fmt.Fprintf(w, "    fix: %s\n", f.Fix)
		}
	}
	if len(counts) > 0 {
		fmt.Fprintln(w, "\nRows SCIM sees (in scope) and does not see:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  RESOURCE\tTENANT\tIN SCOPE\tOUTSIDE\tTOTAL")
		for _, c := range counts {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\n", c.Resource, dash(c.Tenant), c.InScope, c.Total-c.InScope, c.Total)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\n%d error(s), %d warning(s)\n", errs, warns)
}

// explainOptions are the flags of retroscim explain.
type explainOptions struct {
	config string
	tenant string
	body   string
}

func newExplainCmd(env *cliEnv) *cobra.Command {
	var o explainOptions
	cmd := &cobra.Command{
		Use:   "explain 'METHOD /path'",
		Short: "Print the SQL a request becomes, with EXPLAIN for each read",
		Long: `Print the SQL a request becomes, in order, with EXPLAIN for each read.
Nothing is written.`,
		Example: `  retroscim explain 'GET /Users?filter=userName eq "a@b.c"'
  retroscim explain --tenant 2 --body patch.json 'PATCH /Users/42'`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return explain(cmd.Context(), o, args, env.stdin, env.stdout)
		},
	}
	configFlag(cmd, &o.config)
	cmd.Flags().StringVar(&o.tenant, "tenant", "", "tenant to run the request as (default: the first configured token's)")
	cmd.Flags().StringVar(&o.body, "body", "", "file holding the request body (- for standard input)")
	_ = cmd.MarkFlagFilename("body", "json")
	return cmd
}

// explain shows the SQL a request becomes, without writing anything.
func explain(ctx context.Context, o explainOptions, request []string, stdin io.Reader, stdout io.Writer) error {
	line := strings.TrimSpace(strings.Join(request, " "))
	method, target, ok := strings.Cut(line, " ")
	if !ok || line == "" {
		return usageError{msg: `usage: retroscim explain [--config config.yaml] [--tenant T] [--body patch.json] 'GET /Users?filter=userName eq "a@b.c"'`}
	}
	method = strings.ToUpper(method)
	var body []byte
	switch o.body {
	case "":
	case "-":
		b, err := io.ReadAll(io.LimitReader(stdin, 16<<20))
		if err != nil {
			return err
		}
		body = b
	default:
		b, err := os.ReadFile(o.body)
		if err != nil {
			return err
		}
		body = b
	}
	cfg, err := mapping.LoadFile(o.config)
	if err != nil {
		return err
	}
	log := &legacy.ExplainLog{}
	store, err := legacy.Open(ctx, cfg.Database.DSN, legacy.Options{QueryTimeout: cfg.Database.QueryTimeout, MaxOpenConns: 2, Explain: log})
	if err != nil {
		return err
	}
	defer store.Close()
	if err := adapter.BindSchema(ctx, cfg, store); err != nil {
		return err
	}
	// Run as a token of the tenant, known only to this process.
	if o.tenant == "" && len(cfg.Auth.BearerTokens) > 0 {
		o.tenant = cfg.Auth.BearerTokens[0].Tenant
	}
	if err := checkTenant(cfg, o.tenant); err != nil {
		return err
	}
	secret := make([]byte, 24)
	_, _ = rand.Read(secret)
	token := hex.EncodeToString(secret)
	cfg.Auth.BearerTokens = append(cfg.Auth.BearerTokens, mapping.BearerToken{Name: "explain", SHA256: sha256.Sum256([]byte(token)), Tenant: o.tenant})
	// With retroscim's own tables, writes are audited in the same
	// transaction: show that statement too.
	opts := adapter.Options{}
	own := ownTables(cfg)
	if ok, err := store.OwnTablesExist(ctx, own); err != nil {
		return err
	} else if ok {
		opts.Own = &own
	}
	srv := adapter.New(cfg, store, opts)

	path := requestPath(cfg.Server.BasePath, target)
	req := httptest.NewRequest(method, "http://explain.invalid"+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	log.Reset() // forget the schema reads
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	stmts := log.Statements()
	printExplain(stdout, method, path, o.tenant, stmts, rec)
	if counted := slices.ContainsFunc(stmts, func(st legacy.Statement) bool { return strings.HasPrefix(st.SQL, "SELECT COUNT(*)") }); !counted && rec.Code == http.StatusOK {
		if countPath, ok := countRequest(method, path); ok {
			log.Reset()
			req := httptest.NewRequest(method, "http://explain.invalid"+countPath, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			srv.ServeHTTP(httptest.NewRecorder(), req)
			printCount(stdout, log.Statements())
		}
	} else if counted {
		fmt.Fprintln(stdout, "\n(the COUNT(*) above is totalResults: counted once, reused for count_ttl, then recounted in the background: README \"Totals of lists\")")
	}
	return nil
}

// requestPath turns "/Users?filter=userName eq "x"" as typed into an
// encoded request path under the base path.
func requestPath(base, target string) string {
	p, query, _ := strings.Cut(target, "?")
	if !strings.HasPrefix(p, base+"/") && p != base {
		p = base + "/" + strings.TrimPrefix(p, "/")
	}
	if query == "" {
		return p
	}
	vals := url.Values{}
	for _, pair := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if u, err := url.QueryUnescape(strings.ReplaceAll(v, "+", "%2B")); err == nil {
			v = u
		}
		vals.Add(k, v)
	}
	return p + "?" + vals.Encode()
}

func printExplain(w io.Writer, method, path, tenant string, stmts []legacy.Statement, rec *httptest.ResponseRecorder) {
	shown, _ := url.PathUnescape(strings.ReplaceAll(path, "+", "%20"))
	fmt.Fprintf(w, "%s %s", method, shown)
	if tenant != "" {
		fmt.Fprintf(w, "  (tenant %s)", tenant)
	}
	fmt.Fprintln(w)
	// A POST fails in explain when it reads back the row it did not
	// insert; the server then records that failure in the audit trail.
	// That record is explain's doing, not the request's: leave it out.
	unknown := false
	if method == http.MethodPost && rec.Code >= 500 {
		for i, st := range stmts {
			if st.Kind == "rollback" {
				unknown, stmts = true, stmts[:i+1]
				break
			}
		}
	}
	n, wrote := 0, false
	for _, st := range stmts {
		indent := ""
		if st.Tx > 0 {
			indent = "  "
		}
		switch st.Kind {
		case "begin":
			fmt.Fprintf(w, "\ntransaction %d\n", st.Tx)
			continue
		case "commit":
			fmt.Fprintf(w, "  commit  (not run: explain rolls every transaction back)\n")
			continue
		case "rollback":
			fmt.Fprintf(w, "  rollback\n")
			continue
		}
		n++
		label := "read"
		if st.Kind == "write" {
			label = "write (not run)"
			wrote = wrote || st.Tx > 0
		}
		printStatement(w, indent, n, label, st)
	}
	if unknown && wrote {
		fmt.Fprintln(w, "\nresponse: not known: a POST reads back the row it inserted, and explain inserted nothing")
		return
	}
	fmt.Fprintf(w, "\nresponse: %d %s", rec.Code, http.StatusText(rec.Code))
	if wrote {
		fmt.Fprint(w, "  (reads after a write see the rows as they are: the writes were not run)")
	}
	fmt.Fprintln(w)
	if rec.Code >= 400 {
		var e struct {
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		fmt.Fprintf(w, "  %s\n", e.Detail)
	}
}

// printStatement prints one statement with its arguments and plan.
func printStatement(w io.Writer, indent string, n int, label string, st legacy.Statement) {
	fmt.Fprintf(w, "\n%s%d. %s\n%s   %s\n", indent, n, label, indent, st.SQL)
	if len(st.Args) > 0 {
		fmt.Fprintf(w, "%s   args: %s\n", indent, formatArgs(st.Args))
	}
	if len(st.Plan) > 0 {
		fmt.Fprintf(w, "%s   plan:\n", indent)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, row := range st.Plan {
			fmt.Fprintf(tw, "%s     %s\n", indent, strings.Join(row, "\t"))
		}
		tw.Flush()
	}
}

// printCount shows the COUNT(*) behind a list's totalResults when the
// request did not run it (its page ended the list, or explain's store
// had it cached): what a page of the list runs when no count is cached.
func printCount(w io.Writer, stmts []legacy.Statement) {
	for _, st := range stmts {
		if st.Kind == "read" && strings.HasPrefix(st.SQL, "SELECT COUNT(*)") {
			fmt.Fprintln(w, "\ntotalResults, when the page does not end the list and no count of it is cached")
			fmt.Fprintln(w, "(counted once, reused for count_ttl, then recounted in the background: README \"Totals of lists\"):")
			printStatement(w, "", 1, "read", st)
			return
		}
	}
}

// countRequest is a GET of an unfiltered list (an import's pages) turned
// into its count=0 request, which only counts; ok is false for any other
// request. A filtered list is left out: Okta's and Entra's lookups fit on
// their first page, which needs no count.
func countRequest(method, path string) (string, bool) {
	p, query, _ := strings.Cut(path, "?")
	if method != http.MethodGet || !(strings.HasSuffix(p, "/Users") || strings.HasSuffix(p, "/Groups")) {
		return "", false
	}
	vals, err := url.ParseQuery(query)
	if err != nil || vals.Get("filter") != "" {
		return "", false
	}
	vals.Set("count", "0")
	vals.Set("startIndex", "1")
	return p + "?" + vals.Encode(), true
}

func formatArgs(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		switch x := a.(type) {
		case nil:
			parts[i] = "NULL"
		case string:
			parts[i] = strconv.Quote(x)
		case []byte:
			parts[i] = strconv.Quote(string(x))
		case time.Time:
			parts[i] = x.UTC().Format(time.RFC3339Nano)
		default:
			parts[i] = fmt.Sprint(x)
		}
	}
	return strings.Join(parts, ", ")
}
