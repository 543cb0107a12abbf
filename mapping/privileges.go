package mapping

import (
	"fmt"
	"slices"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// Privileges answers what the database account retroscim connects with
// may do. legacy.Grants implements it from SHOW GRANTS.
type Privileges interface {
	// Allows reports whether priv (SELECT, INSERT, UPDATE, DELETE or
	// CREATE) is granted on table ("name" or "database.name"): on the whole
	// table when column is empty, else on that column.
	Allows(priv, table, column string) bool
}

// OwnTableFacts names retroscim's own tables, unquoted ("retroscim_tokens"
// in the app's database, or "database.retroscim_tokens"), and whether
// retroscim migrate has created them.
type OwnTableFacts struct {
	Tokens, Audit string
	// DryRun is the table of would-be changes (server.dry_run).
	DryRun string
	Exist  bool
}

// privNeed is one privilege that the configured policies need: on a
// column, or on the whole table when column is empty.
type privNeed struct {
	priv, table, column string
	line                int
	key                 string
	// why says which requests need it, for the message.
	why string
}

// privilegeNeeds lists, per configured policy, every privilege retroscim
// uses: SELECT on every column it reads (lookup and membership tables
// included); UPDATE on the columns PATCH and PUT write and on the meta
// columns every write bumps; INSERT for create: allow; DELETE for delete:
// delete and deactivate: delete; INSERT and DELETE on a membership table
// (UPDATE on a group column); and its own tables'.
func (c *Config) privilegeNeeds(own OwnTableFacts) []privNeed {
	var out []privNeed
	add := func(priv, table, column string, line int, key, why string) {
		out = append(out, privNeed{priv: priv, table: table, column: column, line: line, key: key, why: why})
	}
	for _, r := range []*Resource{c.Users, c.Groups} {
		if r == nil {
			continue
		}
		for _, ref := range r.refs {
			t := ref.table
			if t == "" {
				t = r.Table
			}
			add("SELECT", t, ref.column, ref.line, ref.key, "read by every request")
		}
		plural := strings.ToLower(r.Type) + "s"
		writes := fmt.Sprintf("written by PATCH and PUT of %s", plural)
		var updated bool
		for _, a := range r.Attributes {
			if a.Mutability == ReadOnly || a.Column == "" {
				continue
			}
			add("UPDATE", r.Table, a.Column, a.Line, r.attrKey(a), writes)
			updated = true
		}
		r.scopeExistsPrivilegeNeeds(add)
		if r.relatedPrivilegeNeeds(add) {
			updated = true
		}
		if r.lifecyclePrivilegeNeeds(add) {
			updated = true
		}
		if a := r.Active; a != nil && a.Column != "" {
			add("UPDATE", r.Table, a.Column, r.activeLine, r.key+".active.column", "written by deactivation and reactivation")
			updated = true
		}
		if updated {
			r.bumpNeeds(add, fmt.Sprintf("set by every write of %s", plural))
		}
		if r.TenantThrough != nil {
			r.throughPrivilegeNeeds(add) // tenant_through.go: DELETE acts on the membership
		} else if a := r.Active; a != nil && a.DeleteOnFalse {
			add("DELETE", r.Table, "", r.activeLine, r.key+".active.deactivate", "deactivation deletes the row (deactivate: delete)")
		}
		if r.Create == CreateAllow {
			for _, col := range r.insertColumns() {
				add("INSERT", r.Table, col, r.createLine, r.key+".create", fmt.Sprintf("written by POST /%s (create: allow)", r.Type+"s"))
			}
		}
		if r.Delete == DeleteRow && r.TenantThrough == nil {
			add("DELETE", r.Table, "", r.deleteLine, r.key+".delete", fmt.Sprintf("DELETE /%s/{id} deletes the row (delete: delete)", r.Type+"s"))
		}
	}
	if m := c.Members; m != nil && c.Groups != nil {
		const why = "written when group members are added and removed"
		if j := m.Join; j != nil {
			key := "groups.members.join"
			for _, col := range j.insertColumns() {
				add("INSERT", j.Table, col, m.line, key, why)
			}
			if v := m.allocated(); v != nil && v.NextID.Table != "" {
				add("UPDATE", v.NextID.Table, v.NextID.Column, m.line, key+".defaults."+v.Column, "advanced when members are added (the app's id counter)")
			}
			for _, v := range j.OnRemove {
				add("UPDATE", j.Table, v.Column, m.line, key+".on_remove", "removing a member marks the row; adding her again revives it")
			}
			add("DELETE", j.Table, "", m.line, key, "removing group members deletes rows")
			m.stepPrivilegeNeeds(add) // membership_steps.go
		} else if m.Column != "" {
			add("UPDATE", m.Users.Table, m.Column, m.line, "groups.members.column", why)
			m.Users.bumpNeeds(add, "set by every write of users")
		}
	}
	if own.Exist {
		for _, p := range []string{"SELECT", "INSERT", "UPDATE"} {
			add(p, own.Tokens, "", 0, "store", "bearer tokens are checked, recorded as used, created and revoked there")
		}
		for _, p := range []string{"SELECT", "INSERT"} {
			add(p, own.Audit, "", 0, "store", "every write is audited there (retroscim audit reads it)")
		}
		if c.Server.DryRun && own.DryRun != "" {
			for _, p := range []string{"SELECT", "INSERT"} {
				add(p, own.DryRun, "", 0, "server.dry_run", "a dry run records each would-be change there (retroscim report reads it)")
			}
		}
	}
	return out
}

// bumpNeeds adds UPDATE on the columns every write of r sets.
func (r *Resource) bumpNeeds(add func(priv, table, column string, line int, key, why string), why string) {
	for _, m := range []struct{ col, key string }{{r.LastModifiedColumn, "last_modified"}, {r.VersionColumn, "version"}} {
		if m.col != "" {
			add("UPDATE", r.Table, m.col, r.line, r.key+".meta."+m.key, why)
		}
	}
}

// insertColumns lists the columns a create may write: writable
// attributes, defaults, the scope's and tenant's values, the active flag,
// the meta columns and a generated text id.
func (r *Resource) insertColumns() []string {
	var cols []string
	add := func(c string) {
		if c != "" && !slices.ContainsFunc(cols, func(x string) bool { return strings.EqualFold(x, c) }) {
			cols = append(cols, c)
		}
	}
	for _, a := range r.Attributes {
		if a.Mutability != ReadOnly {
			add(a.Column)
		}
	}
	for _, c := range r.insertedColumns() {
		if !slices.ContainsFunc(r.Attributes, func(a *Attribute) bool { return a.Mutability == ReadOnly && strings.EqualFold(a.Column, c) }) {
			add(c)
		}
	}
	if id := r.column(r.IDColumn); !id.AutoIncrement && id.kind() == kindText {
		add(r.IDColumn)
		for _, c := range r.IDCopyTo {
			add(c)
		}
	}
	return cols
}

func columnNames(vals []ColumnValue) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = v.Column
	}
	return out
}

// checkPrivileges reports, per table and privilege, what the account
// lacks of what the configured policies need, with the GRANT that gives
// exactly that: column by column where MySQL allows it (SELECT, INSERT,
// UPDATE), else on the table. Without own tables it notes whether
// retroscim migrate could create them.
func (c *Config) checkPrivileges(facts SchemaFacts, add addFunc) {
	if facts.Privileges == nil {
		return
	}
	type group struct {
		first   privNeed
		columns []string
		whole   bool
		whys    []string
	}
	var order []string
	groups := map[string]*group{}
	for _, n := range c.privilegeNeeds(facts.Own) {
		if facts.Privileges.Allows(n.priv, n.table, n.column) {
			continue
		}
		k := n.priv + "\x00" + n.table
		g := groups[k]
		if g == nil {
			g = &group{first: n}
			groups[k] = g
			order = append(order, k)
		}
		if n.column == "" {
			g.whole = true
		} else if !slices.ContainsFunc(g.columns, func(x string) bool { return strings.EqualFold(x, n.column) }) {
			g.columns = append(g.columns, n.column)
		}
		if !slices.Contains(g.whys, n.why) {
			g.whys = append(g.whys, n.why)
		}
	}
	for _, k := range order {
		g := groups[k]
		n := g.first
		what := n.table
		if !g.whole {
			what = "column"
			if len(g.columns) > 1 {
				what += "s"
			}
			what += " " + strings.Join(g.columns, ", ") + " of " + n.table
		}
		invisible := ""
		if _, seen := facts.Columns[n.table]; !seen && n.key != "store" {
			invisible = " (with no privilege at all on a table, the account cannot see it, and check reports it missing)"
		}
		f := add(SevError, "privileges", n.line, n.key, "the database account %s has no %s privilege on %s: %s; until it is granted those requests fail with 500%s", facts.Account, n.priv, what, strings.Join(g.whys, "; "), invisible)
		f.Fix = grantStatement(n.priv, facts.Database, n.table, g.columns, g.whole, facts.Account)
	}
	if own := facts.Own; !own.Exist && own.Tokens != "" &&
		(!facts.Privileges.Allows("CREATE", own.Tokens, "") || !facts.Privileges.Allows("CREATE", own.Audit, "")) {
		f := add(SevNote, "privileges", 0, "store", "retroscim's own tables (%s, %s) do not exist, and the database account %s may not create them (retroscim migrate needs CREATE); until they exist only configuration tokens are accepted and writes are audited in the log only", own.Tokens, own.Audit, facts.Account)
		if db, _, ok := strings.Cut(own.Tokens, "."); ok {
			// A schema of their own: CREATE on it covers CREATE DATABASE.
			f.Fix = "GRANT CREATE, SELECT, INSERT, UPDATE ON " + sqlstmt.Ident(db) + ".* TO " + facts.Account + ";"
		} else {
			// CREATE on the two tables only, not on the app's database.
			f.Fix = grantStatement("CREATE, SELECT, INSERT, UPDATE", facts.Database, own.Tokens, nil, true, facts.Account) + " " +
				grantStatement("CREATE, SELECT, INSERT", facts.Database, own.Audit, nil, true, facts.Account)
		}
	}
}

// grantStatement is the GRANT of priv on table (in database unless
// qualified) to account: on columns, or on the whole table.
func grantStatement(priv, database, table string, columns []string, whole bool, account string) string {
	target := sqlstmt.Ident(table)
	if !strings.Contains(table, ".") {
		target = sqlstmt.Ident(database) + "." + sqlstmt.Ident(table)
	}
	if whole || len(columns) == 0 {
		return "GRANT " + priv + " ON " + target + " TO " + account + ";"
	}
	q := make([]string, len(columns))
	for i, c := range columns {
		q[i] = sqlstmt.Ident(c)
	}
	return "GRANT " + priv + " (" + strings.Join(q, ", ") + ") ON " + target + " TO " + account + ";"
}
