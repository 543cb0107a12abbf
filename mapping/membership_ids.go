package mapping

import (
	"strconv"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"gopkg.in/yaml.v3"
)

// Some apps allocate a membership row's id themselves: Zabbix's
// users_groups.id has no AUTO_INCREMENT, and Zabbix takes ids from its ids
// table (ids.nextid is the last id handed out). A join default
// { next_id: { table: ids, column: nextid, where: {...} } } allocates from
// such a counter, advancing it in the same transaction; { next_id: max }
// continues after the largest id in the join table. Either way the read
// locks (FOR UPDATE) until the transaction ends, so two adds never take
// the same ids.

// IDCounter is where new membership row ids come from.
type IDCounter struct {
	// Table, Column and Where name the counter row; Table is empty for
	// max (the join table's largest id).
	Table  string
	Column string
	Where  []ColumnValue
}

type idCounterSpec struct {
	Table  string    `yaml:"table"`
	Column string    `yaml:"column"`
	Where  yaml.Node `yaml:"where"`
}

// compileNextID reads the value of next_id; nil when it is not valid.
func compileNextID(n *yaml.Node, key string, users *Resource, p *problems) *IDCounter {
	if n.Kind == yaml.ScalarNode && n.Value == "max" {
		return &IDCounter{}
	}
	const want = "next_id is max (after the largest id) or the app's counter row, as { table: ids, column: nextid, where: { table_name: users_groups, field_name: id } }"
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, key, "%s", want)
		return nil
	}
	before := len(p.list)
	var spec idCounterSpec
	decodeStrict(n, key, &spec, p)
	if len(p.list) > before {
		return nil
	}
	if !validTableName(spec.Table) || !isIdent(spec.Column) {
		p.add(n.Line, key, "%s", want)
		return nil
	}
	c := &IDCounter{Table: spec.Table, Column: spec.Column}
	users.refs = append(users.refs, columnRef{table: spec.Table, column: spec.Column, line: lineOf(n, "column"), key: key + ".column"})
	for _, v := range rowValues(&spec.Where, key+".where", p, rowCondition) {
		c.Where = append(c.Where, ColumnValue{Column: v.Column, Value: v.Value})
		users.refs = append(users.refs, columnRef{table: spec.Table, column: v.Column, line: v.line, key: key + ".where." + v.Column})
	}
	if len(p.list) > before {
		return nil
	}
	return c
}

// allocated is the default whose ids the app allocates; nil when none.
func (m *Membership) allocated() *RowValue {
	if m.Join == nil {
		return nil
	}
	for i := range m.Join.Defaults {
		if m.Join.Defaults[i].NextID != nil {
			return &m.Join.Defaults[i]
		}
	}
	return nil
}

func (c *IDCounter) where() sqlstmt.Pred {
	w := sqlstmt.True
	for _, v := range c.Where {
		w = sqlstmt.And(w, sqlstmt.Eq(sqlstmt.Ident(v.Column), v.Value))
	}
	return w
}

// ReserveIDs reads, locking it, the last id handed out for new membership
// rows. ok is false when the database allocates ids itself.
func (m *Membership) ReserveIDs() (q sqlstmt.Select, ok bool) {
	v := m.allocated()
	if v == nil {
		return sqlstmt.Select{}, false
	}
	if c := v.NextID; c.Table != "" {
		return sqlstmt.Select{Columns: []string{sqlstmt.Ident(c.Column)}, From: sqlstmt.Ident(c.Table), Where: c.where(), Lock: true}, true
	}
	return sqlstmt.Select{Columns: []string{"COALESCE(MAX(" + sqlstmt.Ident(v.Column) + "), 0)"}, From: sqlstmt.Ident(m.Join.Table), Lock: true}, true
}

// AdvanceIDs returns the statement that records n more ids as handed out
// in the app's counter (none for max: the new rows record it).
func (m *Membership) AdvanceIDs(n int) []sqlstmt.Statement {
	v := m.allocated()
	if v == nil || v.NextID.Table == "" || n == 0 {
		return nil
	}
	c := v.NextID
	col := sqlstmt.Ident(c.Column)
	return []sqlstmt.Statement{sqlstmt.Update{Table: c.Table, Set: []sqlstmt.Assignment{{Column: c.Column, Expr: col + " + " + strconv.Itoa(n)}}, Where: c.where()}}
}

// AddMembersAfter is AddMembers for a join table whose row ids the app
// allocates: the new rows take the ids after last (read by ReserveIDs).
func (m *Membership) AddMembersAfter(groupID any, keys []any, last int64) []sqlstmt.Statement {
	if len(keys) == 0 || m.Join == nil {
		return nil
	}
	return []sqlstmt.Statement{m.insertMembers(groupID, keys, last)}
}
