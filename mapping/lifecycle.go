package mapping

import (
	"fmt"
	"slices"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"gopkg.in/yaml.v3"
)

// Lifecycle is users.active written as a condition and two lists of
// actions, for apps whose active state is not one flag column:
//
//	active:
//	  when: { DeleteAt: 0 }
//	  deactivate: [ { set: { DeleteAt: now_ms } } ]
//	  reactivate: [ { set: { DeleteAt: 0 } } ]
//
// reads "a user is active when DeleteAt is 0; deactivating sets DeleteAt
// to now in epoch milliseconds; reactivating sets it back to 0"
// (Mattermost). The condition is read in the same statement as the row
// and compiled into filters; the actions run in the request's transaction,
// only when active changes.
type Lifecycle struct {
	// When are the terms that all hold for an active user.
	When []LifeTerm
	// Deactivate and Reactivate are the actions that make a user inactive
	// and active again, in order.
	Deactivate []LifeAction
	Reactivate []LifeAction
	// idx is where a Row holds the condition's value (1 or 0).
	idx int
}

// LifeTerm is one term of a Lifecycle condition: a column of the user's
// row holds one of Values (or none, when Negate), or the user has (or,
// with NoRow, has not) a row of another table.
type LifeTerm struct {
	Column string
	// Values the column may hold; a nil element stands for NULL.
	Values []any
	Negate bool
	// Row, when set, makes the term "the user has such a row".
	Row   *RowRef
	NoRow bool
}

// RowRef names the user's rows of another table: Key holds the user's id,
// the Where columns their fixed values (Nextcloud's oc_preferences rows
// with appid = 'core' and configkey = 'enabled').
type RowRef struct {
	Table string
	Key   string
	Where []ColumnValue
}

// LifeAction is one step of a deactivation, a reactivation or a delete:
// column writes on the user's row (Set), or a write or delete of the
// user's row of another table (Row with Set, or Row with Delete).
type LifeAction struct {
	Set []LifeSet
	// Row, when set, is the other table's row the action writes (Set) or
	// deletes (Delete).
	Row    *RowRef
	Delete bool
	// existsIdx is where a Row holds whether Row exists, for write_row.
	existsIdx int
}

// LifeSet is one column write of an action: a constant, or the current
// time (Now) as a DATETIME or as an epoch count.
type LifeSet struct {
	Column string
	Value  any
	Now    bool
	Epoch  Epoch
}

// assignment is the write as a statement's SET entry.
func (s LifeSet) assignment() sqlstmt.Assignment {
	if s.Now {
		return sqlstmt.Assignment{Column: s.Column, Expr: s.Epoch.nowSQL()}
	}
	return sqlstmt.Assignment{Column: s.Column, Value: s.Value}
}

// nowWords are the values of set: that stamp the current time.
var nowWords = map[string]Epoch{"now": EpochNone, "now_s": EpochSeconds, "now_ms": EpochMilliseconds}

// usesLifecycle says whether users.active is written in the condition
// form rather than as one flag column.
func usesLifecycle(spec *ActiveSpec) bool {
	return spec.When.Kind != 0 || spec.Deactivate.Kind == yaml.SequenceNode || len(spec.Reactivate) > 0
}

// compileLifecycle reads users.active in the condition form.
func (r *Resource) compileLifecycle(spec *ActiveSpec, n *yaml.Node, p *problems) {
	key := r.key + ".active"
	before := len(p.list)
	if spec.Column != "" || spec.True.Kind != 0 || spec.False.Kind != 0 {
		p.add(n.Line, key, "give either column (with true and false) or when (with deactivate and reactivate), not both")
		return
	}
	if spec.When.Kind == 0 || spec.Deactivate.Kind != yaml.SequenceNode || len(spec.Reactivate) == 0 {
		p.add(n.Line, key, "when, deactivate and reactivate go together: when says which users are active, deactivate and reactivate are the lists of actions that change it, as in when: { DeleteAt: 0 }, deactivate: [ { set: { DeleteAt: now_ms } } ], reactivate: [ { set: { DeleteAt: 0 } } ]")
		return
	}
	life := &Lifecycle{When: r.compileWhen(&spec.When, key+".when", p)}
	var deact []ActionSpec
	if err := spec.Deactivate.Decode(&deact); err != nil {
		p.add(spec.Deactivate.Line, key+".deactivate", "expected a list of actions (set, write_row or delete_row)")
		return
	}
	dn := valueOf(n, "deactivate")
	for i := range deact {
		checkKeys(dn.Content[i], typeOfActionSpec, fmt.Sprintf("%s.deactivate[%d]", key, i), p)
	}
	life.Deactivate = r.compileActions(deact, dn, key+".deactivate", p)
	life.Reactivate = r.compileActions(spec.Reactivate, valueOf(n, "reactivate"), key+".reactivate", p)
	if len(p.list) > before {
		return
	}
	r.checkLifecycle(life, n, p)
	r.Active = &Active{Life: life, Explicit: true}
}

// compileWhen reads the condition: column terms as in scope, and row: or
// no_row: terms on another table.
func (r *Resource) compileWhen(n *yaml.Node, key string, p *problems) []LifeTerm {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		p.add(n.Line, key, "expected a mapping of column: value(s), row: { table, key, where } or no_row: { table, key, where }, got %s", describeNode(n))
		return nil
	}
	var out []LifeTerm
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		tk := joinKey(key, k.Value)
		if k.Value == "row" || k.Value == "no_row" {
			ref := r.compileRowRef(v, tk, p)
			if ref != nil {
				out = append(out, LifeTerm{Row: ref, NoRow: k.Value == "no_row"})
			}
			continue
		}
		if !isIdent(k.Value) {
			p.add(k.Line, tk, "%q is not a valid column name", k.Value)
			continue
		}
		term := LifeTerm{Column: k.Value}
		if v.Kind == yaml.MappingNode {
			not := valueOf(v, "not")
			if not == nil || len(v.Content) != 2 {
				p.add(v.Line, tk, "expected a value, a list of values, null, or { not: value(s) }")
				continue
			}
			term.Negate, v = true, not
		}
		vals, ok := scalarValues(v)
		for j, x := range vals {
			switch y := x.(type) {
			case bool:
				vals[j] = map[bool]int64{true: 1, false: 0}[y]
			case nil, int64:
			case string:
				ok = ok && sqlstmt.PlainWord(y)
			default:
				ok = false
			}
		}
		if !ok {
			p.add(v.Line, tk, "expected an integer, a plain word (printable ASCII without quotes or backslashes), null, or a list of them")
			continue
		}
		term.Values = vals
		out = append(out, term)
		r.ref(term.Column, k.Line, tk)
	}
	return out
}

// compileRowRef reads { table, key, where } naming the user's rows of
// another table.
func (r *Resource) compileRowRef(n *yaml.Node, key string, p *problems) *RowRef {
	before := len(p.list)
	var spec RowSpec
	decodeStrict(n, key, &spec, p)
	if len(p.list) > before {
		return nil
	}
	return r.rowRef(spec.Table, spec.Key, &spec.Where, n, key, p)
}

// rowRef validates the parts of a row reference and records its columns
// for Bind.
func (r *Resource) rowRef(table, keyCol string, where *yaml.Node, n *yaml.Node, key string, p *problems) *RowRef {
	if table == "" || keyCol == "" {
		p.add(n.Line, key, "needs table and key (the column holding the user's id), as in { table: oc_preferences, key: userid, where: { appid: core } }")
		return nil
	}
	parts := strings.Split(table, ".")
	for _, part := range parts {
		if !isIdent(part) || len(parts) > 2 {
			p.add(lineOf(n, "table"), key+".table", "%q is not a valid table name", table)
			return nil
		}
	}
	if strings.EqualFold(table, r.Table) {
		p.add(lineOf(n, "table"), key+".table", "%s is the %s table itself: write a column term or set: instead", table, r.key)
		return nil
	}
	if !isIdent(keyCol) {
		p.add(lineOf(n, "key"), key+".key", "%q is not a valid column name", keyCol)
		return nil
	}
	ref := &RowRef{Table: table, Key: keyCol, Where: compileRelatedWhere(where, key+".where", p)}
	r.refs = append(r.refs, columnRef{table: table, column: keyCol, line: lineOf(n, "key"), key: key + ".key"})
	for _, w := range ref.Where {
		r.refs = append(r.refs, columnRef{table: table, column: w.Column, line: lineOf(n, "where"), key: key + ".where." + w.Column})
	}
	return ref
}

// compileActions reads a list of actions; n is the YAML sequence.
func (r *Resource) compileActions(specs []ActionSpec, n *yaml.Node, key string, p *problems) []LifeAction {
	out := make([]LifeAction, 0, len(specs))
	for i, s := range specs {
		ak := fmt.Sprintf("%s[%d]", key, i)
		an := n
		if n != nil && n.Kind == yaml.SequenceNode && i < len(n.Content) {
			an = n.Content[i]
		}
		count := 0
		for _, set := range []bool{s.Set.Kind != 0, s.WriteRow != nil, s.DeleteRow != nil} {
			if set {
				count++
			}
		}
		if count != 1 {
			p.add(an.Line, ak, "each action is exactly one of set: { column: value }, write_row: { table, key, where, set } or delete_row: { table, key, where }")
			continue
		}
		var a LifeAction
		switch {
		case s.Set.Kind != 0:
			a.Set = r.compileSets(&s.Set, ak+".set", true, p)
		case s.WriteRow != nil:
			w := s.WriteRow
			wn := valueOf(an, "write_row")
			a.Row = r.rowRef(w.Table, w.Key, &w.Where, wn, ak+".write_row", p)
			a.Set = r.compileSets(&w.Set, ak+".write_row.set", false, p)
			if a.Row != nil {
				fixed := append([]string{a.Row.Key}, columnNames(a.Row.Where)...)
				for _, st := range a.Set {
					if slices.ContainsFunc(fixed, func(c string) bool { return strings.EqualFold(c, st.Column) }) {
						p.add(lineOf(wn, "set"), ak+".write_row.set."+st.Column, "%s is the row's key or one of its where columns, which pick the row: set only its other columns", st.Column)
					}
					r.refs = append(r.refs, columnRef{table: a.Row.Table, column: st.Column, line: lineOf(wn, "set"), key: ak + ".write_row.set." + st.Column})
				}
			}
		default:
			d := s.DeleteRow
			a.Row = r.rowRef(d.Table, d.Key, &d.Where, valueOf(an, "delete_row"), ak+".delete_row", p)
			a.Delete = true
		}
		out = append(out, a)
	}
	return out
}

// compileSets reads set: { column: value }; own says the columns are the
// user's row's, recorded for Bind here.
func (r *Resource) compileSets(n *yaml.Node, key string, own bool, p *problems) []LifeSet {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		p.add(n.Line, key, "expected a mapping of column: value (a constant, now, now_s or now_ms), got %s", describeNode(n))
		return nil
	}
	var out []LifeSet
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ck := joinKey(key, k.Value)
		if !isIdent(k.Value) {
			p.add(k.Line, ck, "%q is not a valid column name", k.Value)
			continue
		}
		val, ok := scalarValue(v)
		if !ok {
			p.add(v.Line, ck, "expected a single value, or now, now_s, now_ms for the current time")
			continue
		}
		s := LifeSet{Column: k.Value, Value: val}
		if b, isBool := val.(bool); isBool {
			s.Value = map[bool]int64{true: 1, false: 0}[b]
		}
		if w, isStr := val.(string); isStr && v.Style == 0 {
			if e, now := nowWords[w]; now {
				s.Now, s.Epoch, s.Value = true, e, nil
			}
		}
		out = append(out, s)
		if own {
			r.ref(k.Value, k.Line, ck)
		}
	}
	return out
}

// checkLifecycle refuses actions that cannot do what they say, where the
// mapping alone tells: a deactivation whose writes leave every term of
// the condition true, or a reactivation that writes a column of the
// condition a value the condition rejects.
func (r *Resource) checkLifecycle(l *Lifecycle, n *yaml.Node, p *problems) {
	key := r.key + ".active"
	sets := func(acts []LifeAction) map[string]LifeSet {
		m := map[string]LifeSet{}
		for _, a := range acts {
			if a.Row == nil {
				for _, s := range a.Set {
					m[strings.ToLower(s.Column)] = s
				}
			}
		}
		return m
	}
	deact, react := sets(l.Deactivate), sets(l.Reactivate)
	stillActive, decided := true, true
	for _, t := range l.When {
		s, ok := deact[strings.ToLower(t.Column)]
		if t.Row != nil || !ok {
			decided = false
			continue
		}
		if !termHolds(t, s) {
			stillActive = false
		}
	}
	if decided && stillActive && len(l.When) > 0 {
		p.add(lineOf(n, "deactivate"), key+".deactivate", "these writes leave the user active by when: deactivate must write a value when rejects")
	}
	for _, t := range l.When {
		if s, ok := react[strings.ToLower(t.Column)]; ok && t.Row == nil && !termHolds(t, s) {
			p.add(lineOf(n, "reactivate"), key+".reactivate", "reactivate writes %s a value that when: reads as inactive", t.Column)
		}
	}
}

// termHolds says whether a column term holds after the write s of its
// column. The current time is not NULL, and is above any integer an app
// uses for "not set" (0 or less).
func termHolds(t LifeTerm, s LifeSet) bool {
	in := false
	for _, v := range t.Values {
		switch {
		case s.Now:
			if n, isInt := v.(int64); v != nil && (!isInt || n > 0) {
				in = true // a time or a positive count may be it
			}
		case v == nil || s.Value == nil:
			in = in || (v == nil && s.Value == nil)
		default:
			in = in || fmt.Sprint(v) == fmt.Sprint(s.Value)
		}
	}
	return in != t.Negate
}
