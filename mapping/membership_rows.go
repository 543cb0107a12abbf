package mapping

import (
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"gopkg.in/yaml.v3"
)

// What a membership row holds besides its user and group: the condition
// that makes a row a membership (Moodle's contextid = 1, Mattermost's
// DeleteAt = 0), the values a new row is written with (a constant, the
// time, a column copied from the group's row) and what removing a member
// writes instead of deleting the row (a soft delete).

// Clock is a time a membership column is written with, in the column's
// own format.
type Clock string

// Clock formats.
const (
	// NoClock: the value is not a time.
	NoClock Clock = ""
	// ClockDatetime is the current time for a DATETIME or TIMESTAMP column.
	ClockDatetime Clock = "now"
	// ClockEpochSeconds is Unix time in seconds (Moodle's timemodified).
	ClockEpochSeconds Clock = "epoch_seconds"
	// ClockEpochMillis is Unix time in milliseconds (Mattermost's DeleteAt).
	ClockEpochMillis Clock = "epoch_ms"
)

// RowValue is what one column of a membership row is written with: a
// constant Value, the time (Clock), or the group row's GroupColumn.
type RowValue struct {
	Column      string
	Value       any
	Clock       Clock
	GroupColumn string
	// NextID says the app allocates the value (Zabbix ids): each new row
	// takes the next id from the counter.
	NextID *IDCounter
	next   *yaml.Node
	line   int
}

// clockSQL is the SQL of the current time in each format: the same
// expressions that stamp meta columns (Epoch.nowSQL).
var clockSQL = map[Clock]string{
	ClockDatetime:     EpochNone.nowSQL(),
	ClockEpochSeconds: EpochSeconds.nowSQL(),
	ClockEpochMillis:  EpochMilliseconds.nowSQL(),
}

// sql is the value's SQL and arguments in a row of a new membership of
// group: a placeholder, a clock, or a subquery reading the group's row.
func (v RowValue) sql(m *Membership, groupID any) (string, []any) {
	switch {
	case v.Clock != NoClock:
		return clockSQL[v.Clock], nil
	case v.GroupColumn != "":
		g := m.Groups
		return "(SELECT " + sqlstmt.Ident(v.GroupColumn) + " FROM " + sqlstmt.Ident(g.Table) + " WHERE " + sqlstmt.Ident(g.IDColumn) + " = ?)", []any{groupID}
	}
	return "?", []any{v.Value}
}

// assignment is the value as an UPDATE's column = value (constants and
// clocks only: compile refuses group columns where an update needs one).
func (v RowValue) assignment() sqlstmt.Assignment {
	if v.Clock != NoClock {
		return sqlstmt.Assignment{Column: v.Column, Expr: clockSQL[v.Clock]}
	}
	return sqlstmt.Assignment{Column: v.Column, Value: v.Value}
}

// compileJoin validates members.join; nil when it is not valid.
func compileJoin(jn *yaml.Node, j *JoinSpec, users, groups *Resource, p *problems) *JoinTable {
	key := "groups.members.join"
	if j.Table == "" || j.User == "" || j.Group == "" {
		p.add(jn.Line, key, "needs table, user and group, as in join: { table: user_roles, user: user_id, group: role_id }")
		return nil
	}
	for _, c := range []struct{ v, f string }{{j.User, "user"}, {j.Group, "group"}} {
		if !isIdent(c.v) {
			p.add(lineOf(jn, c.f), key+"."+c.f, "%q is not a valid column name", c.v)
			return nil
		}
	}
	if !validTableName(j.Table) {
		p.add(lineOf(jn, "table"), key+".table", "%q is not a valid table name", j.Table)
		return nil
	}
	jt := &JoinTable{Table: j.Table, User: j.User, Group: j.Group}
	users.refs = append(users.refs,
		columnRef{table: j.Table, column: j.User, line: lineOf(jn, "user"), key: key + ".user"},
		columnRef{table: j.Table, column: j.Group, line: lineOf(jn, "group"), key: key + ".group"})
	if j.Defaults.Kind != 0 && j.Defaults.Kind != yaml.MappingNode {
		p.add(j.Defaults.Line, key+".defaults", "expected a mapping of column: value, got %s", describeNode(&j.Defaults))
		return nil
	}
	before := len(p.list)
	ref := func(col string, line int, k string) {
		users.refs = append(users.refs, columnRef{table: j.Table, column: col, line: line, key: k})
	}
	for _, v := range rowValues(&j.Where, key+".where", p, rowCondition) {
		jt.Where = append(jt.Where, ColumnValue{Column: v.Column, Value: v.Value})
		ref(v.Column, v.line, key+".where."+v.Column)
	}
	for _, v := range rowValues(&j.Defaults, key+".defaults", p, rowDefault) {
		if _, ok := jt.live(v.Column); ok {
			p.add(v.line, key+".defaults."+v.Column, "%s is in where: a new membership row is written with that value", v.Column)
			continue
		}
		if v.next != nil {
			if v.NextID = compileNextID(v.next, key+".defaults."+v.Column+".next_id", users, p); v.NextID == nil {
				continue
			}
			if jt.allocates() {
				p.add(v.line, key+".defaults."+v.Column, "only one column of a membership row takes allocated ids")
				continue
			}
		}
		jt.Defaults = append(jt.Defaults, v)
		ref(v.Column, v.line, key+".defaults."+v.Column)
		if v.GroupColumn != "" {
			groups.ref(v.GroupColumn, v.line, key+".defaults."+v.Column)
		}
	}
	if j.OnRemove.Kind == yaml.ScalarNode && j.OnRemove.Value != "delete" {
		p.add(j.OnRemove.Line, key+".on_remove", "%q: on_remove is delete (the default) or the columns a removal sets, as on_remove: { DeleteAt: epoch_ms }", j.OnRemove.Value)
	}
	if j.OnRemove.Kind == yaml.MappingNode {
		for _, v := range rowValues(&j.OnRemove, key+".on_remove", p, rowRemoval) {
			if _, ok := jt.live(v.Column); !ok {
				p.add(v.line, key+".on_remove."+v.Column, "removal marks %s; say which value a live membership has, as where: { %s: 0 }", v.Column, v.Column)
				continue
			}
			jt.OnRemove = append(jt.OnRemove, v)
			ref(v.Column, v.line, key+".on_remove."+v.Column)
		}
	}
	if len(p.list) > before {
		return nil
	}
	return jt
}

// rowKind is where a column: value mapping stands, which decides the values
// it may hold.
type rowKind int

const (
	rowCondition rowKind = iota // where: constants
	rowRemoval                  // on_remove: constants and clocks
	rowDefault                  // defaults: constants, clocks, group columns
)

// rowValues reads a mapping of column: value. A value is a constant; the
// words now, epoch_seconds and epoch_ms are the current time; { group:
// column } copies the group row's column. kind says which are allowed.
func rowValues(n *yaml.Node, key string, p *problems, kind rowKind) []RowValue {
	if n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, key, "expected column: value pairs")
		return nil
	}
	hint := map[rowKind]string{
		rowCondition: "a membership condition compares with a constant, as where: { contextid: 1 }",
		rowRemoval:   "a removal writes a constant or the time (now, epoch_seconds, epoch_ms)",
		rowDefault:   "expected a constant, the time (now, epoch_seconds, epoch_ms), { group: column } to copy the group row's column, or { next_id: ... } for an id the app allocates",
	}[kind]
	var out []RowValue
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isIdent(k.Value) {
			p.add(k.Line, key+"."+k.Value, "%q is not a valid column name", k.Value)
			continue
		}
		rv := RowValue{Column: k.Value, line: k.Line}
		if nx := valueOf(v, "next_id"); nx != nil && len(v.Content) == 2 && kind == rowDefault {
			rv.next = nx
			out = append(out, rv)
			continue
		}
		if g := valueOf(v, "group"); g != nil && len(v.Content) == 2 && g.Kind == yaml.ScalarNode && isIdent(g.Value) && kind == rowDefault {
			rv.GroupColumn = g.Value
			out = append(out, rv)
			continue
		}
		val, ok := scalarValue(v)
		if s, isStr := val.(string); ok && isStr && v.Style == 0 {
			switch c := Clock(s); c {
			case ClockDatetime, ClockEpochSeconds, ClockEpochMillis:
				rv.Clock = c
				ok = kind != rowCondition
			}
		}
		if !ok {
			p.add(k.Line, key+"."+k.Value, "%s", hint)
			continue
		}
		if rv.Clock == NoClock {
			rv.Value = val
		}
		out = append(out, rv)
	}
	return out
}

// live is the value of col that makes a row a membership, from where.
func (j *JoinTable) live(col string) (any, bool) {
	for _, w := range j.Where {
		if strings.EqualFold(w.Column, col) {
			return w.Value, true
		}
	}
	return nil, false
}

// removes reports whether removal writes col (it is a soft-delete column).
func (j *JoinTable) removes(col string) bool {
	for _, v := range j.OnRemove {
		if strings.EqualFold(v.Column, col) {
			return true
		}
	}
	return false
}

// rowsCond is the condition on join rows (qualified by alias, or bare when
// alias is empty) that makes them memberships: every where column when
// live, or only those a removal does not write (the rows SCIM may touch,
// live or removed) when not.
func (j *JoinTable) rowsCond(alias string, live bool) sqlstmt.Pred {
	c := sqlstmt.True
	for _, w := range j.Where {
		if !live && j.removes(w.Column) {
			continue
		}
		col := sqlstmt.Col(alias, w.Column)
		if alias == "" {
			col = sqlstmt.Ident(w.Column)
		}
		if w.Value == nil {
			c = sqlstmt.And(c, sqlstmt.IsNull(col))
		} else {
			c = sqlstmt.And(c, sqlstmt.Eq(col, w.Value))
		}
	}
	return c
}

// memberRows is the condition on join rows (bare names) that finds the
// group's live memberships.
func (m *Membership) memberRows(groupID any) sqlstmt.Pred {
	return sqlstmt.And(sqlstmt.Eq(sqlstmt.Ident(m.Join.Group), groupID), m.Join.rowsCond("", true))
}

// memberIDsOf is the subquery of the user ids with a live membership row
// for the group; users.id IN (it) lists each member once, however many
// rows the join table holds for her.
func (m *Membership) memberIDsOf(groupID any) sqlstmt.Select {
	j := m.Join
	return sqlstmt.Select{
		Columns: []string{sqlstmt.Col(aliasMember, j.User)},
		From:    sqlstmt.Table(j.Table, aliasMember),
		Where:   sqlstmt.And(sqlstmt.Eq(sqlstmt.Col(aliasMember, j.Group), groupID), j.rowsCond(aliasMember, true)),
	}
}

// insertMembers is the multi-row INSERT of new membership rows: user,
// group, the where values (so the rows are memberships) and the defaults;
// an allocated id column takes last+1, last+2, ... row by row.
func (m *Membership) insertMembers(groupID any, keys []any, last int64) sqlstmt.InsertRows {
	j := m.Join
	in := sqlstmt.InsertRows{Table: j.Table, Columns: []string{j.User, j.Group}, Values: []string{"?", "?"}}
	var tail []any
	idAt := -1
	for _, w := range j.Where {
		in.Columns = append(in.Columns, w.Column)
		in.Values = append(in.Values, "?")
		tail = append(tail, w.Value)
	}
	for _, d := range j.Defaults {
		if d.NextID != nil {
			idAt = len(tail)
			in.Columns = append(in.Columns, d.Column)
			in.Values = append(in.Values, "?")
			tail = append(tail, nil)
			continue
		}
		s, a := d.sql(m, groupID)
		in.Columns = append(in.Columns, d.Column)
		in.Values = append(in.Values, s)
		tail = append(tail, a...)
	}
	for i, k := range keys {
		row := append([]any{k, groupID}, tail...)
		if idAt >= 0 {
			row[2+idAt] = last + int64(i) + 1
		}
		in.Rows = append(in.Rows, row)
	}
	return in
}

// allocates reports whether a default takes ids the app allocates.
func (j *JoinTable) allocates() bool {
	for _, d := range j.Defaults {
		if d.NextID != nil {
			return true
		}
	}
	return false
}

// Removed selects which of the given user keys (about to be added, so not
// live members) have a removed membership row for the group: an add
// revives those rows instead of inserting new ones. ok is false when
// removal deletes rows and there is nothing to ask. The rows are locked
// until the transaction ends.
func (m *Membership) Removed(groupID any, keys []any) (q sqlstmt.Select, ok bool) {
	if m.Join == nil || len(m.Join.OnRemove) == 0 || len(keys) == 0 {
		return sqlstmt.Select{}, false
	}
	j := m.Join
	return sqlstmt.Select{
		Columns: []string{sqlstmt.Ident(j.User)},
		From:    sqlstmt.Ident(j.Table),
		Where:   sqlstmt.And(sqlstmt.Eq(sqlstmt.Ident(j.Group), groupID), j.rowsCond("", false), keysIn(sqlstmt.Ident(j.User), keys)),
		Lock:    true,
	}, true
}

// ReviveMembers returns the statement that makes removed membership rows
// of users (found by Removed) live again: the columns a removal wrote get
// back their live values from where.
func (m *Membership) ReviveMembers(groupID any, keys []any) []sqlstmt.Statement {
	if m.Join == nil || len(m.Join.OnRemove) == 0 || len(keys) == 0 {
		return nil
	}
	j := m.Join
	var set []sqlstmt.Assignment
	for _, v := range j.OnRemove {
		live, _ := j.live(v.Column)
		set = append(set, sqlstmt.Assignment{Column: v.Column, Value: live})
	}
	where := sqlstmt.And(sqlstmt.Eq(sqlstmt.Ident(j.Group), groupID), j.rowsCond("", false), keysIn(sqlstmt.Ident(j.User), keys))
	return []sqlstmt.Statement{sqlstmt.Update{Table: j.Table, Set: set, Where: where}}
}

// removeRows is the statement that ends the memberships where selects:
// DELETE, or the UPDATE on_remove names.
func (m *Membership) removeRows(where sqlstmt.Pred) sqlstmt.Statement {
	j := m.Join
	if len(j.OnRemove) == 0 {
		return sqlstmt.Delete{Table: j.Table, Where: where}
	}
	set := make([]sqlstmt.Assignment, len(j.OnRemove))
	for i, v := range j.OnRemove {
		set[i] = v.assignment()
	}
	return sqlstmt.Update{Table: j.Table, Set: set, Where: where}
}

// insertColumns are the columns a new membership row is written with.
func (j *JoinTable) insertColumns() []string {
	out := append([]string{j.User, j.Group}, columnNames(j.Where)...)
	for _, d := range j.Defaults {
		out = append(out, d.Column)
	}
	return out
}

// checkClocks verifies that each time a membership row is written with
// suits its column: now for DATETIME and TIMESTAMP, epoch_seconds and
// epoch_ms for integers wide enough.
func (j *JoinTable) checkClocks(cols map[string]*Column, p *problems) {
	for _, v := range append(append([]RowValue{}, j.Defaults...), j.OnRemove...) {
		c, ok := cols[strings.ToLower(v.Column)]
		if v.Clock == NoClock || !ok {
			continue
		}
		var fits bool
		switch v.Clock {
		case ClockDatetime:
			fits = c.DataType == "datetime" || c.DataType == "timestamp"
		case ClockEpochSeconds:
			fits = c.DataType == "int" || c.DataType == "bigint"
		case ClockEpochMillis:
			fits = c.DataType == "bigint"
		}
		if !fits {
			p.add(v.line, "groups.members.join."+v.Column, "%s.%s is %s, which cannot hold %s: now is for DATETIME or TIMESTAMP, epoch_seconds for INT or BIGINT, epoch_ms for BIGINT", j.Table, v.Column, c.DataType, v.Clock)
		}
	}
}
