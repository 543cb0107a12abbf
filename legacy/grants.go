package legacy

import (
	"context"
	"fmt"
	"strings"
	"unicode"
)

// Grants is what the database account of the connection may do: its own
// privileges and those of the roles its sessions start with, read from
// SHOW GRANTS. It answers for SELECT, INSERT, UPDATE, DELETE and CREATE on
// tables and columns, which is all retroscim needs.
type Grants struct {
	// Account is the account the server matched the login to, quoted for
	// a GRANT statement: 'retroscim'@'%'.
	Account string
	// Database is the connection's default database, which unqualified
	// table names are in.
	Database string
	// foldNames is set when the server compares database and table names
	// case-insensitively (lower_case_table_names is not 0).
	foldNames bool
	rules     []grantRule
}

// grantRule is one privilege of one GRANT (or REVOKE) line, on one target.
type grantRule struct {
	priv string // SELECT, ..., or ALL
	// db is a pattern as GRANT takes it (with % and _ wildcards, \ escapes)
	// or "*" for every database; table is "" for a whole database.
	db, table string
	// columns limit the privilege to those columns; nil for the whole table.
	columns []string
	revoke  bool
}

// Grants reads the privileges of the connection's account. On MariaDB,
// SHOW GRANTS includes the grants of the session's role (and of the roles
// granted to it); on MySQL 8 the session's roles are expanded with SHOW
// GRANTS ... USING. A role that is granted but not a default role gives a
// session nothing, so it counts for nothing here.
func (s *Store) Grants(ctx context.Context) (*Grants, error) {
	g := &Grants{}
	var lines []string
	err := s.do(ctx, "grants", true, func(ctx context.Context) error {
		conn, err := s.db.Connx(ctx)
		if err != nil {
			return s.wrap(ctx, err)
		}
		defer conn.Close()
		var version, user string
		var db *string
		var lower int
		if err := conn.QueryRowxContext(ctx, "SELECT VERSION(), CURRENT_USER(), DATABASE(), @@lower_case_table_names").Scan(&version, &user, &db, &lower); err != nil {
			return s.wrap(ctx, err)
		}
		g.Account = quoteAccount(user)
		if db != nil {
			g.Database = *db
		}
		g.foldNames = lower != 0
		stmt := "SHOW GRANTS"
		if !strings.Contains(strings.ToLower(version), "mariadb") {
			// MySQL 8: CURRENT_ROLE() lists the enabled roles, `r`@`%`,...
			// or NONE; MySQL 5.7 has no roles and no CURRENT_ROLE().
			var roles string
			if err := conn.QueryRowxContext(ctx, "SELECT CURRENT_ROLE()").Scan(&roles); err == nil && roles != "" && roles != "NONE" {
				stmt = "SHOW GRANTS FOR CURRENT_USER() USING " + roles
			}
		}
		rows, err := conn.QueryContext(ctx, stmt)
		if err != nil {
			return s.wrap(ctx, err)
		}
		defer rows.Close()
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				return s.wrap(ctx, err)
			}
			lines = append(lines, line)
		}
		return s.wrap(ctx, rows.Err())
	})
	if err != nil {
		return nil, fmt.Errorf("read the account's grants: %w", err)
	}
	for _, l := range lines {
		g.rules = append(g.rules, parseGrant(l)...)
	}
	return g, nil
}

// quoteAccount turns CURRENT_USER()'s user@host into 'user'@'host'.
func quoteAccount(user string) string {
	name, host := user, ""
	if i := strings.LastIndexByte(user, '@'); i >= 0 {
		name, host = user[:i], user[i+1:]
	}
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	return q(name) + "@" + q(host)
}

// Allows reports whether the account may use priv (SELECT, INSERT, UPDATE,
// DELETE or CREATE) on table ("name" in the connection's database, or
// "database.name"): on the whole table when column is empty, else on that
// column, which a grant on the table, its database or all databases
// covers too.
func (g *Grants) Allows(priv, table, column string) bool {
	db, name := g.Database, table
	if i := strings.IndexByte(table, '.'); i >= 0 {
		db, name = table[:i], table[i+1:]
	}
	priv = strings.ToUpper(priv)
	allowed := false
	for _, r := range g.rules {
		if r.priv != priv && r.priv != "ALL" {
			continue
		}
		if r.db != "*" && !g.dbMatches(r.db, db) {
			continue
		}
		if r.table != "" && !g.sameName(r.table, name) {
			continue
		}
		if r.columns != nil && (column == "" || !containsFold(r.columns, column)) {
			continue
		}
		if r.revoke {
			// A partial revoke (MySQL's REVOKE ... ON db.* of a global
			// grant) takes the privilege away from that database.
			return false
		}
		allowed = true
	}
	return allowed
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func (g *Grants) sameName(a, b string) bool {
	if g.foldNames {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// dbMatches matches a database name against a GRANT's pattern: % is any
// run of characters, _ any one character, and \ escapes either.
func (g *Grants) dbMatches(pattern, name string) bool {
	if g.foldNames {
		pattern, name = strings.ToLower(pattern), strings.ToLower(name)
	}
	p, n := []rune(pattern), []rune(name)
	var match func(i, j int) bool
	match = func(i, j int) bool {
		for i < len(p) {
			switch p[i] {
			case '%':
				for k := j; k <= len(n); k++ {
					if match(i+1, k) {
						return true
					}
				}
				return false
			case '_':
				if j >= len(n) {
					return false
				}
			case '\\':
				if i+1 < len(p) {
					i++
				}
				fallthrough
			default:
				if j >= len(n) || p[i] != n[j] {
					return false
				}
			}
			i++
			j++
		}
		return j == len(n)
	}
	return match(0, 0)
}

// parseGrant reads one line of SHOW GRANTS:
//
//	GRANT SELECT, UPDATE (`title`, `email`) ON `app`.`users` TO `u`@`%`
//	GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION
//	REVOKE INSERT ON `app`.* FROM `u`@`%`
//
// Lines that grant roles, proxies, routines or nothing (USAGE) give no
// rules.
func parseGrant(line string) []grantRule {
	toks := grantTokens(line)
	if len(toks) < 4 {
		return nil
	}
	revoke := false
	switch strings.ToUpper(toks[0]) {
	case "GRANT":
	case "REVOKE":
		revoke = true
	default:
		return nil
	}
	// Privileges up to ON: words, commas and column lists.
	type priv struct {
		name    string
		columns []string
	}
	var privs []priv
	var words []string
	i := 1
	flush := func() {
		if len(words) > 0 {
			privs = append(privs, priv{name: strings.ToUpper(strings.Join(words, " "))})
			words = nil
		}
	}
	for ; i < len(toks); i++ {
		t := toks[i]
		switch {
		case strings.EqualFold(t, "ON"):
			flush()
		case t == ",":
			flush()
			continue
		case strings.HasPrefix(t, "("):
			flush()
			if len(privs) > 0 {
				privs[len(privs)-1].columns = splitColumns(t)
			}
			continue
		default:
			words = append(words, t)
			continue
		}
		break
	}
	if i+1 >= len(toks) {
		return nil // GRANT `role` TO `user`: no ON
	}
	target := toks[i+1]
	if strings.EqualFold(target, "TABLE") && i+2 < len(toks) {
		target = toks[i+2]
	}
	db, table, ok := splitTarget(target)
	if !ok {
		return nil // PROCEDURE, FUNCTION, PROXY ON ''@'%', ...
	}
	var out []grantRule
	for _, p := range privs {
		name := p.name
		if name == "ALL PRIVILEGES" {
			name = "ALL"
		}
		out = append(out, grantRule{priv: name, db: db, table: table, columns: p.columns, revoke: revoke})
	}
	return out
}

// grantTokens splits a GRANT line into words, commas, backquoted or quoted
// names (a doubled quote inside is one quote), and parenthesised column lists (kept
// whole, with their parentheses). The target `db`.`t` stays one token.
func grantTokens(s string) []string {
	var out []string
	var cur strings.Builder
	emit := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	r := []rune(s)
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '`' || c == '\'' || c == '"':
			// Keep the quotes: splitTarget and splitColumns need to know
			// what was quoted.
			cur.WriteRune(c)
			for i++; i < len(r); i++ {
				cur.WriteRune(r[i])
				if r[i] == c {
					if i+1 < len(r) && r[i+1] == c {
						i++
						cur.WriteRune(c)
						continue
					}
					break
				}
			}
		case c == '(':
			emit()
			depth := 0
			for ; i < len(r); i++ {
				cur.WriteRune(r[i])
				if r[i] == '(' {
					depth++
				} else if r[i] == ')' {
					depth--
					if depth == 0 {
						break
					}
				} else if r[i] == '`' {
					for i++; i < len(r) && r[i] != '`'; i++ {
						cur.WriteRune(r[i])
					}
					if i < len(r) {
						cur.WriteRune(r[i])
					}
				}
			}
			emit()
		case c == ',':
			emit()
			out = append(out, ",")
		case unicode.IsSpace(c):
			emit()
		default:
			cur.WriteRune(c)
		}
	}
	emit()
	return out
}

// splitTarget reads *.*, `db`.*, `db`.`table` (or unquoted names) into a
// database pattern ("*" for all) and a table ("" for all tables).
func splitTarget(t string) (db, table string, ok bool) {
	parts := splitQualified(t)
	if len(parts) != 2 {
		return "", "", false
	}
	db, table = parts[0], parts[1]
	if table == "*" {
		table = ""
	}
	return db, table, db != ""
}

// splitQualified splits `a`.`b` at the dot outside quotes, unquoting each
// part; an unquoted * stays *.
func splitQualified(t string) []string {
	var parts []string
	var cur strings.Builder
	r := []rune(t)
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '`' || c == '\'' || c == '"':
			for i++; i < len(r); i++ {
				if r[i] == c {
					if i+1 < len(r) && r[i+1] == c {
						i++
						cur.WriteRune(c)
						continue
					}
					break
				}
				cur.WriteRune(r[i])
			}
		case c == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(c)
		}
	}
	return append(parts, cur.String())
}

// splitColumns reads a column list, "(`a`, `b`)", into its names.
func splitColumns(t string) []string {
	inner := strings.TrimSuffix(strings.TrimPrefix(t, "("), ")")
	var out []string
	for _, tok := range grantTokens(inner) {
		if tok == "," {
			continue
		}
		out = append(out, splitQualified(tok)[0])
	}
	return out
}
