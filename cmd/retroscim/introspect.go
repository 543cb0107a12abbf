package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/retroscim/retroscim/adapter"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
	"github.com/spf13/cobra"
)

// guesses are column names that suggest a SCIM attribute, in order of
// preference; the first present column wins each attribute.
var guesses = []struct {
	attr  string
	names []string
}{
	{"userName", []string{"login", "username", "user_name", "email", "email_address", "mail"}},
	{"name.givenName", []string{"first_name", "firstname", "given_name", "givenname", "fname"}},
	{"name.familyName", []string{"last_name", "lastname", "family_name", "familyname", "surname", "lname"}},
	{"displayName", []string{"display_name", "displayname", "full_name", "fullname", "name"}},
	{`'emails[type eq "work"].value'`, []string{"email", "email_address", "work_email", "mail"}},
	{`'phoneNumbers[type eq "work"].value'`, []string{"phone", "phone_number", "work_phone", "telephone"}},
	{`'phoneNumbers[type eq "mobile"].value'`, []string{"mobile", "mobile_phone", "cell_phone"}},
	{"title", []string{"job_title", "title", "position"}},
	{"externalId", []string{"external_id", "okta_id", "idp_id", "sso_id", "ext_id", "scim_external_id"}},
	{"'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department'", []string{"department", "dept"}},
	{"'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber'", []string{"employee_no", "employee_number", "employee_id", "staff_id"}},
}

var (
	activeNames   = []string{"is_active", "active", "enabled", "is_enabled"}
	createdNames  = []string{"created_at", "created", "date_created", "inserted_at", "created_on", "created_unix", "timecreated", "CreateAt"}
	modifiedNames = []string{"updated_at", "modified_at", "last_modified", "updated", "modified_on", "updated_on", "updated_unix", "timemodified", "UpdateAt"}
	tenantNames   = []string{"org_id", "organization_id", "tenant_id", "account_id", "company_id", "workspace_id", "customer_id"}
	scopeNames    = []string{"auth_source", "auth_provider", "provider", "sso_provider", "login_type", "source", "origin", "created_by", "idp", "sso_subject", "saml_name_id"}
	secretWords   = []string{"password", "passwd", "pwd", "secret", "token", "hash", "salt", "otp", "mfa"}
)

// introspectOptions are the flags of retroscim introspect.
type introspectOptions struct {
	dsn     string
	table   string
	roles   string
	members string
}

func newIntrospectCmd(env *cliEnv) *cobra.Command {
	var o introspectOptions
	cmd := &cobra.Command{
		Use:     "introspect --dsn DSN --table users",
		Short:   "Print a commented draft mapping for an existing table",
		Example: "  retroscim introspect --dsn 'app:pw@tcp(db:3306)/app' --table users --roles-table roles --members-table user_roles > config.yaml",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return introspect(cmd.Context(), o, env.stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dsn, "dsn", "", "the app database's DSN, user:password@tcp(host:3306)/app (required)")
	f.StringVar(&o.table, "table", "", "the users table (required)")
	f.StringVar(&o.roles, "roles-table", "", "the roles table, to draft groups")
	f.StringVar(&o.members, "members-table", "", "the table of (user, role) pairs, when roles are many per user")
	return cmd
}

func introspect(ctx context.Context, o introspectOptions, stdout io.Writer) error {
	if o.dsn == "" || o.table == "" {
		return usageError{msg: "usage: retroscim introspect --dsn DSN --table users [--roles-table roles] [--members-table user_roles]"}
	}
	store, err := legacy.Open(ctx, o.dsn, legacy.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	d := draft{ctx: ctx, store: store, w: stdout}
	return d.write(o.table, o.roles, o.members)
}

type draft struct {
	ctx   context.Context
	store *legacy.Store
	w     io.Writer
}

func (d draft) columns(table string) ([]mapping.Column, string, error) {
	cols, err := d.store.Columns(d.ctx, table)
	if err != nil {
		return nil, "", err
	}
	idx, err := d.store.Indexes(d.ctx, table)
	if err != nil {
		return nil, "", err
	}
	pk := ""
	for _, ix := range idx {
		if ix.Name == "PRIMARY" && len(ix.Columns) == 1 {
			pk = ix.Columns[0]
		}
	}
	return adapter.MappingColumns(cols), pk, nil
}

// metaColumn is a meta: entry for c: the column, or for an integer
// column counting time since 1970 the column and a guessed unit to check
// (Mattermost's CreateAt/UpdateAt count milliseconds, Gitea's *_unix and
// Moodle's time* seconds).
func metaColumn(c *mapping.Column) string {
	if !isInteger(c) {
		return c.Name
	}
	unit := "seconds"
	if strings.HasSuffix(c.Name, "At") {
		unit = "milliseconds"
	}
	return fmt.Sprintf("{ column: %s, epoch: %s }   # %s: check the unit (1767323045 is seconds, 1767323045123 milliseconds)", c.Name, unit, c.ColumnType)
}

func isInteger(c *mapping.Column) bool {
	switch c.DataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		return true
	}
	return false
}

func find(cols []mapping.Column, names []string, used map[string]bool) *mapping.Column {
	for _, n := range names {
		for i := range cols {
			if strings.EqualFold(cols[i].Name, n) && !used[strings.ToLower(cols[i].Name)] {
				return &cols[i]
			}
		}
	}
	return nil
}

func (d draft) write(table, roles, members string) error {
	cols, pk, err := d.columns(table)
	if err != nil {
		return err
	}
	w := d.w
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	used := map[string]bool{}
	p("# Draft retroscim mapping for table %s, written by retroscim introspect on %s.", table, time.Now().UTC().Format("2006-01-02"))
	p("# Every guess below comes from a column name: read each line, then run")
	p("#   retroscim check --config <this file>")
	p("# which verifies it against the database. retroscim will not start until")
	p("# users.scope is decided.")
	p("")
	p("database:")
	p(`  dsn: "${RETROSCIM_DSN}"`)
	used[strings.ToLower(pk)] = true
	tenant := find(cols, tenantNames, used)
	p("auth:")
	p("  bearer_tokens:")
	p(`    - { name: okta, token: "${RETROSCIM_TOKEN}" }   # or: retroscim migrate && retroscim token create`)
	if tenant != nil {
		p(`    #   with users.tenant, add the tenant this token provisions: tenant: "<%s>"`, tenant.Name)
	}
	p("")
	p("users:")
	p("  table: %s", table)
	if pk == "" {
		p("  id: TODO   # no single-column primary key found: name the column that identifies a user")
	} else {
		p("  id: %s   # the primary key", pk)
	}
	if tenant != nil {
		used[strings.ToLower(tenant.Name)] = true
		p("  # tenant: %s   # if %s says which customer a user belongs to, every statement will be scoped to the token's tenant", tenant.Name, tenant.Name)
	}
	p("  # DECIDE: which rows may SCIM see and change? Only the users your SSO login")
	p("  # created, never local, break-glass or service accounts. For example:")
	scopeSeen := false
	for _, c := range cols {
		if !slices.Contains(scopeNames, strings.ToLower(c.Name)) {
			continue
		}
		scopeSeen = true
		used[strings.ToLower(c.Name)] = true
		vals, _ := d.topValues(table, c.Name)
		if len(vals) > 0 {
			p("  #   scope: { %s: <value> }   # %s holds: %s", c.Name, c.Name, strings.Join(vals, ", "))
		} else {
			p("  #   scope: { %s: <value> }", c.Name)
		}
	}
	if !scopeSeen {
		p("  #   scope: { <column>: <value for SSO users> }   # or { sso_subject: { not: null } }")
	}
	p("  #   scope: all   # every row: only if the table holds no local accounts")
	p("  scope: TODO")
	p("  create: deny      # users are created at their first SSO login; allow lets Okta create them")
	if a := find(cols, activeNames, used); a != nil {
		used[strings.ToLower(a.Name)] = true
		p("  delete: deactivate")
		p("  active: { column: %s, true: 1, false: 0 }   # check the values: %s", a.Name, a.ColumnType)
	} else {
		p("  delete: deny      # no active column found; with active: { deactivate: delete } deactivation deletes rows")
	}
	created := find(cols, createdNames, used)
	modified := find(cols, modifiedNames, used)
	if created != nil || modified != nil {
		p("  meta:")
		if created != nil {
			used[strings.ToLower(created.Name)] = true
			p("    created: %s", metaColumn(created))
		}
		if modified != nil {
			used[strings.ToLower(modified.Name)] = true
			p("    last_modified: %s", metaColumn(modified))
			if !isInteger(modified) {
				p("    version: %s", modified.Name)
			}
		}
	}
	p("  attributes:")
	mapped := 0
	for _, g := range guesses {
		c := find(cols, g.names, used)
		if c == nil {
			continue
		}
		if g.attr != "userName" && !strings.Contains(g.attr, "emails") {
			used[strings.ToLower(c.Name)] = true
		}
		p("    %s: { column: %s }", g.attr, c.Name)
		mapped++
	}
	for _, g := range guesses {
		if g.attr == "userName" || strings.Contains(g.attr, "emails") {
			if c := find(cols, g.names, used); c != nil {
				used[strings.ToLower(c.Name)] = true
			}
		}
	}
	if mapped == 0 {
		p("    userName: { column: TODO }")
	}
	p("  # Columns not mapped (map them as SCIM attributes, or leave them):")
	for _, c := range cols {
		if used[strings.ToLower(c.Name)] {
			continue
		}
		note := ""
		lower := strings.ToLower(c.Name)
		for _, s := range secretWords {
			if strings.Contains(lower, s) {
				note = "   (looks secret: never map it as a readable attribute)"
			}
		}
		p("  #   %-24s %s%s", c.Name, c.ColumnType, note)
	}
	if roles != "" {
		if err := d.writeGroups(roles, members, table, tenant, cols); err != nil {
			return err
		}
	}
	return nil
}

func (d draft) writeGroups(roles, members, users string, tenant *mapping.Column, userCols []mapping.Column) error {
	cols, pk, err := d.columns(roles)
	if err != nil {
		return err
	}
	p := func(format string, args ...any) { fmt.Fprintf(d.w, format+"\n", args...) }
	used := map[string]bool{strings.ToLower(pk): true}
	p("")
	p("groups:   # SCIM Groups are the rows of %s", roles)
	p("  table: %s", roles)
	p("  id: %s", pk)
	if tenant != nil {
		if t := find(cols, []string{tenant.Name}, used); t != nil {
			used[strings.ToLower(t.Name)] = true
			p("  # tenant: %s   # together with users.tenant", t.Name)
		}
	}
	p("  scope: all")
	p("  create: deny     # deny: Okta links its groups to these roles; allow: Okta may create roles")
	p("  delete: deny")
	p("  attributes:")
	if c := find(cols, []string{"name", "display_name", "title", "label", "role_name", "group_name"}, used); c != nil {
		used[strings.ToLower(c.Name)] = true
		p("    displayName: { column: %s }", c.Name)
	} else {
		p("    displayName: { column: TODO }")
	}
	p("  members:")
	switch {
	case members != "":
		mcols, _, err := d.columns(members)
		if err != nil {
			return err
		}
		user := find(mcols, []string{"user_id", "users_id", "account_id", "member_id"}, map[string]bool{})
		group := find(mcols, []string{"role_id", "roles_id", "group_id", "team_id"}, map[string]bool{})
		p("    join: { table: %s, user: %s, group: %s }", members, nameOr(user), nameOr(group))
	default:
		if c := find(userCols, []string{"role_id", "group_id", "primary_role_id"}, map[string]bool{}); c != nil {
			p("    column: %s   # %s.%s: one group per user", c.Name, users, c.Name)
			p("    rule: first_wins")
		} else {
			p("    join: { table: TODO, user: TODO, group: TODO }   # or column: <role column on %s>", users)
		}
	}
	p("  # Columns not mapped:")
	for _, c := range cols {
		if !used[strings.ToLower(c.Name)] {
			p("  #   %-24s %s", c.Name, c.ColumnType)
		}
	}
	return nil
}

func nameOr(c *mapping.Column) string {
	if c == nil {
		return "TODO"
	}
	return c.Name
}

// topValues describes a column's most common values, for scope decisions.
func (d draft) topValues(table, column string) ([]string, error) {
	vals, err := d.store.TopValues(d.ctx, table, column, 6)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = fmt.Sprintf("%s (%d rows)", v.Value, v.Rows)
	}
	return out, nil
}
