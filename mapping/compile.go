package mapping

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/retroscim/retroscim/mapping/filter"
)

// Predicate is a SQL boolean expression over one resource's table, with its
// bind arguments. SQL never contains a value: every value is an argument,
// and every identifier comes from the validated mapping.
type Predicate struct {
	SQL  string
	Args []any
}

// FilterError reports a filter that is malformed or that names something
// the mapping cannot evaluate. Msg is written for the person who wrote the
// filter; Pos is a byte offset into it.
type FilterError struct {
	Pos int
	Msg string
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("invalid filter at position %d: %s", e.Pos, e.Msg)
}

// CompileFilter parses a SCIM filter and compiles it into a predicate over
// the resource's table. Errors are *FilterError.
func (r *Resource) CompileFilter(src string) (Predicate, error) {
	e, err := filter.Parse(src)
	if err != nil {
		var se *filter.SyntaxError
		if errors.As(err, &se) {
			return Predicate{}, &FilterError{Pos: se.Pos, Msg: se.Msg}
		}
		return Predicate{}, &FilterError{Msg: err.Error()}
	}
	return r.Compile(e)
}

// Compile compiles a parsed filter into a predicate. Parts of the filter
// that are decided by the mapping alone (emails[type eq "work"] when only
// work emails are mapped) are folded away; a filter that can never match
// compiles to FALSE.
func (r *Resource) Compile(e filter.Expr) (Predicate, error) {
	c, err := r.compile(e, nil)
	if err != nil {
		return Predicate{}, err
	}
	return c.predicate(), nil
}

// cond is a compiled condition: SQL text, or a constant when k != 0.
// chain records whether sql is a bare "x AND y" or "x OR y" chain, so that
// parentheses are added exactly where precedence needs them.
type cond struct {
	sql   string
	args  []any
	k     int8 // 1 always true, -1 always false, 0 see sql
	chain byte // 0 atomic, 'a' bare AND chain, 'o' bare OR chain
}

var (
	condTrue  = cond{k: 1}
	condFalse = cond{k: -1}
)

func constCond(b bool) cond {
	if b {
		return condTrue
	}
	return condFalse
}

func sqlCond(sql string, args ...any) cond { return cond{sql: sql, args: args} }

// predicate renders the condition so that it can be joined with AND to
// any other predicate: a bare OR chain is parenthesised.
func (c cond) predicate() Predicate {
	switch c.k {
	case 1:
		return Predicate{SQL: "TRUE"}
	case -1:
		return Predicate{SQL: "FALSE"}
	}
	return Predicate{SQL: c.operand('a'), Args: c.args}
}

// operand renders c as an operand of a chain of kind op.
func (c cond) operand(op byte) string {
	if c.chain != 0 && c.chain != op {
		return "(" + c.sql + ")"
	}
	return c.sql
}

func andCond(a, b cond) cond {
	switch {
	case a.k == -1 || b.k == -1:
		return condFalse
	case a.k == 1:
		return b
	case b.k == 1:
		return a
	}
	return cond{sql: a.operand('a') + " AND " + b.operand('a'), args: concatArgs(a.args, b.args), chain: 'a'}
}

func orCond(a, b cond) cond {
	switch {
	case a.k == 1 || b.k == 1:
		return condTrue
	case a.k == -1:
		return b
	case b.k == -1:
		return a
	}
	return cond{sql: a.operand('o') + " OR " + b.operand('o'), args: concatArgs(a.args, b.args), chain: 'o'}
}

// notCond negates with SQL's three-valued logic in mind: a comparison on a
// NULL column is unknown, and "not unknown" must be true (the attribute is
// unassigned, so it does not equal the value). IS NOT TRUE says exactly that.
func notCond(a cond) cond {
	if a.k != 0 {
		return cond{k: -a.k}
	}
	return cond{sql: "(" + a.sql + ") IS NOT TRUE", args: a.args}
}

func concatArgs(a, b []any) []any {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := make([]any, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// scope is the multi-valued entry a value filter is evaluated against,
// or the membership a groups/members filter is evaluated against.
type scope struct {
	memberTargets map[string]target
	parent        *AttrDef
	entry         *entry // nil for a single-valued complex attribute
	subs          []*Attribute
	first         bool // the entry renders as primary
	all           []*Attribute
}

func (r *Resource) compile(e filter.Expr, sc *scope) (cond, error) {
	switch e := e.(type) {
	case *filter.And:
		l, err := r.compile(e.Left, sc)
		if err != nil {
			return cond{}, err
		}
		rt, err := r.compile(e.Right, sc)
		if err != nil {
			return cond{}, err
		}
		return andCond(l, rt), nil
	case *filter.Or:
		l, err := r.compile(e.Left, sc)
		if err != nil {
			return cond{}, err
		}
		rt, err := r.compile(e.Right, sc)
		if err != nil {
			return cond{}, err
		}
		return orCond(l, rt), nil
	case *filter.Not:
		x, err := r.compile(e.X, sc)
		if err != nil {
			return cond{}, err
		}
		return notCond(x), nil
	case *filter.ValuePath:
		if c, ok, err := r.compileMembershipFilter(e); ok {
			return c, err
		}
		return r.compileValuePath(e)
	case *filter.Compare:
		if sc == nil {
			if c, ok, err := r.compileMembershipFilter(e); ok {
				return c, err
			}
		}
		targets, err := r.resolve(e.Attr, e.At, sc, false)
		if err != nil {
			return cond{}, err
		}
		return r.anyTarget(targets, func(t target) (cond, error) { return r.compare(t, e) })
	case *filter.Present:
		if sc == nil {
			if c, ok, err := r.compileMembershipFilter(e); ok {
				return c, err
			}
		}
		targets, err := r.resolve(e.Attr, e.At, sc, true)
		if err != nil {
			return cond{}, err
		}
		return r.anyTarget(targets, func(t target) (cond, error) { return r.present(t), nil })
	}
	return cond{}, &FilterError{Pos: e.Pos(), Msg: "unsupported expression"}
}

// anyTarget ORs a condition over every place the attribute is stored: a
// multi-valued attribute matches when any of its values does.
func (r *Resource) anyTarget(targets []target, f func(target) (cond, error)) (cond, error) {
	out := condFalse
	for _, t := range targets {
		c, err := f(t)
		if err != nil {
			return cond{}, err
		}
		out = orCond(out, c)
	}
	return out, nil
}

func (r *Resource) compileValuePath(e *filter.ValuePath) (cond, error) {
	def, _, err := r.lookupDef(e.Attr, e.At)
	if err != nil {
		return cond{}, err
	}
	if e.Attr.Sub != "" || def.Type != TypeComplex {
		return cond{}, &FilterError{Pos: e.At, Msg: fmt.Sprintf("%s is not a complex attribute, so it takes no [filter]", e.Attr)}
	}
	va := r.viewAttrOf(def)
	if va == nil {
		return cond{}, r.notMapped(e.Attr, e.At)
	}
	def = va.def
	all := va.allAttrs()
	if !def.MultiValued {
		return r.compile(e.Filter, &scope{parent: def, subs: va.subs, all: all})
	}
	out := condFalse
	for i, en := range va.entries {
		c, err := r.compile(e.Filter, &scope{parent: def, entry: en, subs: en.subs, first: i == 0, all: all})
		if err != nil {
			return cond{}, err
		}
		out = orCond(out, c)
	}
	return out, nil
}

// target is one place an attribute's value comes from: a column, a
// constant fixed by the mapping, or the active column.
type target struct {
	column string
	// expr, when set, is the quoted column expression to compare (a lookup
	// table's column); otherwise the quoted column. colFacts then describes
	// the column behind it.
	expr      string
	colFacts  *Column
	lookup    *Attribute
	typ       AttrType
	caseExact bool
	// isConst marks a value fixed by the mapping (an entry's type, whether
	// it is primary, meta.resourceType); absent marks a value that is
	// never assigned in this context.
	isConst bool
	absent  bool
	value   any
	active  bool
	name    string
}

// resolve finds where the attribute named by p is stored. present is set
// for the pr operator, which also accepts complex attributes as a whole.
func (r *Resource) resolve(p filter.AttrPath, pos int, sc *scope, present bool) ([]target, error) {
	if sc != nil {
		return r.resolveInEntry(p, pos, sc)
	}
	if p.URI == "" {
		switch strings.ToLower(p.Name) {
		case "id":
			if p.Sub == "" {
				return []target{{column: r.IDColumn, typ: TypeString, caseExact: true, name: "id"}}, nil
			}
		case "externalid":
			if p.Sub == "" {
				a := r.find("", "externalId", "", "")
				if a == nil {
					return nil, r.notMapped(p, pos)
				}
				return readTargets(pos, a)
			}
		case "meta":
			return r.resolveMeta(p, pos)
		}
	}
	def, schemaID, err := r.lookupDef(p, pos)
	if err != nil {
		return nil, err
	}
	if def.Name == "active" && strings.EqualFold(schemaID, UserSchema) {
		if r.Active == nil {
			return nil, r.notMapped(p, pos)
		}
		if p.Sub != "" {
			return nil, &FilterError{Pos: pos, Msg: "active has no sub-attributes"}
		}
		return []target{{column: r.Active.Column, typ: TypeBoolean, active: true, name: "active"}}, nil // column may be empty
	}
	if def.Type != TypeComplex {
		if p.Sub != "" {
			return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s is a simple attribute and has no sub-attribute %q", def.Name, p.Sub)}
		}
		va := r.viewAttrOf(def)
		if va == nil || va.simple == nil {
			return nil, r.notMapped(p, pos)
		}
		return readTargets(pos, va.simple)
	}
	va := r.viewAttrOf(def)
	if va == nil {
		return nil, r.notMapped(p, pos)
	}
	if va.groups || va.members {
		return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s can only be filtered, as in %s[value eq \"<id>\"]", def.Name, def.Name)}
	}
	def = va.def // the full definition, to tell unknown from unmapped
	if !def.MultiValued {
		if p.Sub == "" {
			if !present {
				return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s is complex: compare one of its sub-attributes, as in %s.%s", def.Name, def.Name, va.subs[0].Sub)}
			}
			return readableTargets(pos, va.subs)
		}
		for _, a := range va.subs {
			if strings.EqualFold(a.Sub, p.Sub) {
				return readTargets(pos, a)
			}
		}
		if def.Sub(p.Sub) == nil {
			return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s has no sub-attribute %q", def.Name, p.Sub)}
		}
		return nil, r.notMapped(p, pos)
	}
	// Multi-valued: emails, emails.value, emails.type ... over every entry.
	sub := p.Sub
	if sub == "" && !present {
		sub = "value"
		if def.Sub("value") == nil {
			return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s has no value sub-attribute: compare one of its sub-attributes, as in %s.%s", def.Name, def.Name, def.SubAttributes[0].Name)}
		}
	}
	all := va.allAttrs()
	if sub == "" { // emails pr: any entry with any value it shows
		return readableTargets(pos, all)
	}
	var ts []target
	for i, en := range va.entries {
		sc := &scope{parent: def, entry: en, subs: en.subs, first: i == 0, all: all}
		t, err := r.resolveInEntry(filter.AttrPath{Name: sub}, pos, sc)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t...)
	}
	return ts, nil
}

// resolveInEntry resolves a sub-attribute name inside a value filter or
// for one entry of a multi-valued attribute.
func (r *Resource) resolveInEntry(p filter.AttrPath, pos int, sc *scope) ([]target, error) {
	if sc.memberTargets != nil {
		return memberTarget(sc, p, pos)
	}
	if p.URI != "" || p.Sub != "" {
		return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("inside %s[...] name a sub-attribute such as value or type, not %q", sc.parent.Name, p)}
	}
	def := sc.parent.Sub(p.Name)
	if def == nil {
		return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s has no sub-attribute %q", sc.parent.Name, p.Name)}
	}
	if sc.entry != nil {
		switch def.Name {
		case "type":
			return []target{{isConst: true, value: sc.entry.typ, typ: TypeString, name: sc.parent.Name + ".type"}}, nil
		case "primary":
			return []target{{isConst: true, value: sc.first, typ: TypeBoolean, name: sc.parent.Name + ".primary"}}, nil
		}
	}
	for _, a := range sc.subs {
		if a.Sub == def.Name {
			return readTargets(pos, a)
		}
	}
	for _, a := range sc.all {
		if a.Sub == def.Name {
			if a.Hidden() {
				return nil, writeOnlyErr(a, pos)
			}
			// Mapped for another entry, unassigned in this one.
			return []target{{absent: true, typ: def.Type, name: sc.parent.Name + "." + def.Name}}, nil
		}
	}
	return nil, r.notMapped(filter.AttrPath{Name: sc.parent.Name, Sub: def.Name}, pos)
}

func (r *Resource) resolveMeta(p filter.AttrPath, pos int) ([]target, error) {
	var col string
	switch strings.ToLower(p.Sub) {
	case "resourcetype":
		return []target{{isConst: true, value: r.Type, typ: TypeString, name: "meta.resourceType"}}, nil
	case "created":
		col = r.CreatedColumn
	case "lastmodified":
		col = r.LastModifiedColumn
		if col == "" && r.VersionColumn != "" && r.column(r.VersionColumn).kind() == kindTemporal {
			col = r.VersionColumn
		}
	case "":
		return nil, &FilterError{Pos: pos, Msg: "meta is complex: filter on meta.created, meta.lastModified or meta.resourceType"}
	default:
		return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("filtering on meta.%s is not supported; use meta.created, meta.lastModified or meta.resourceType", p.Sub)}
	}
	if col == "" {
		return nil, r.notMapped(p, pos)
	}
	return []target{{column: col, typ: TypeDateTime, caseExact: true, name: "meta." + p.Sub}}, nil
}

// Hidden reports whether the attribute is never read back: write-only (a
// password) or returned: never. Such an attribute cannot be named in a
// filter, a value path or sortBy either: each comparison would be an
// oracle, and `password sw "a"`, then "ab", ... recovers a cleartext
// password or a hash one character at a time.
func (a *Attribute) Hidden() bool {
	return a.Mutability == WriteOnly || a.Def.Returned == ReturnedNever
}

func writeOnlyErr(a *Attribute, pos int) error {
	return &FilterError{Pos: pos, Msg: writeOnlyMsg(a)}
}

func writeOnlyMsg(a *Attribute) string {
	return fmt.Sprintf("%s is write-only: it is never returned, so it cannot be filtered or sorted on", a.Path())
}

// readTargets is the target of one attribute a filter names, refused when
// the attribute is hidden.
func readTargets(pos int, a *Attribute) ([]target, error) {
	if a.Hidden() {
		return nil, writeOnlyErr(a, pos)
	}
	return []target{attrTarget(a)}, nil
}

// readableTargets are the targets of a complex attribute as a whole (name
// pr, emails pr): the sub-attributes a client can see. Hidden ones are
// left out, and an attribute with nothing but hidden sub-attributes
// cannot be tested at all.
func readableTargets(pos int, subs []*Attribute) ([]target, error) {
	var ts []target
	for _, a := range subs {
		if !a.Hidden() {
			ts = append(ts, attrTarget(a))
		}
	}
	if len(ts) == 0 && len(subs) > 0 {
		return nil, writeOnlyErr(subs[0], pos)
	}
	return ts, nil
}

func attrTarget(a *Attribute) target {
	t := target{column: a.Column, typ: a.Def.Type, caseExact: a.CaseExact, name: a.Path()}
	if a.Lookup != nil {
		t.lookup = a
	}
	return t
}

// sqlCol is the target's quoted column expression.
func (t target) sqlCol() string {
	if t.expr != "" {
		return t.expr
	}
	return quoteIdent(t.column)
}

// lookupDef finds the definition of a top-level attribute, honouring an
// optional schema URN. Unqualified names that are not in the core schema
// are looked up in the extensions.
func (r *Resource) lookupDef(p filter.AttrPath, pos int) (*AttrDef, string, error) {
	if p.URI != "" {
		if r.schemaByID(p.URI+":"+p.Name) != nil {
			return nil, "", &FilterError{Pos: pos, Msg: fmt.Sprintf("%s:%s is a schema, not an attribute", p.URI, p.Name)}
		}
		s := r.schemaByID(p.URI)
		if s == nil {
			return nil, "", &FilterError{Pos: pos, Msg: fmt.Sprintf("unknown schema %q: this server maps %s", p.URI, strings.Join(r.schemaIDs(), ", "))}
		}
		if d := s.Attr(p.Name); d != nil {
			return d, s.ID, nil
		}
		return nil, "", r.unknownAttr(p, pos)
	}
	if d := r.Schema.Attr(p.Name); d != nil {
		return d, r.Schema.ID, nil
	}
	var found *AttrDef
	var foundIn string
	for _, s := range r.Extensions {
		if d := s.Attr(p.Name); d != nil {
			if found != nil {
				return nil, "", &FilterError{Pos: pos, Msg: fmt.Sprintf("%q is defined in %s and %s: qualify it with its schema URN", p.Name, foundIn, s.ID)}
			}
			found, foundIn = d, s.ID
		}
	}
	if found != nil {
		return found, foundIn, nil
	}
	return nil, "", r.unknownAttr(p, pos)
}

func (r *Resource) schemaByID(id string) *SchemaDef {
	if strings.EqualFold(r.Schema.ID, id) {
		return r.Schema
	}
	for _, s := range r.Extensions {
		if strings.EqualFold(s.ID, id) {
			return s
		}
	}
	return nil
}

func (r *Resource) schemaIDs() []string {
	ids := []string{r.Schema.ID}
	for _, s := range r.Extensions {
		ids = append(ids, s.ID)
	}
	return ids
}

// viewAttrOf returns the rendering view of a top-level definition.
func (r *Resource) viewAttrOf(def *AttrDef) *viewAttr {
	for _, v := range r.views {
		for _, va := range v.attrs {
			if va.def == def || va.effective == def {
				return va
			}
		}
	}
	return nil
}

func (va *viewAttr) allAttrs() []*Attribute {
	all := append([]*Attribute(nil), va.subs...)
	for _, e := range va.entries {
		all = append(all, e.subs...)
	}
	return all
}

func (r *Resource) unknownAttr(p filter.AttrPath, pos int) error {
	if knownUnmapped(p, r) {
		return r.notMapped(p, pos)
	}
	return &FilterError{Pos: pos, Msg: fmt.Sprintf("unknown attribute %q; mapped attributes are %s", p.String(), strings.Join(r.FilterableAttributes(), ", "))}
}

// knownUnmapped reports whether p names an RFC 7643 attribute of this
// resource type (of its core schema or, for users, of the enterprise
// extension, named short or by URN) that this mapping leaves out.
func knownUnmapped(p filter.AttrPath, r *Resource) bool {
	for _, s := range r.rfcSchemas() {
		if (p.URI == "" || strings.EqualFold(p.URI, s.ID)) && s.Attr(p.Name) != nil {
			return true
		}
	}
	return false
}

// isRFCSchema reports whether uri is one of the RFC 7643 schemas of this
// resource type, mapped or not.
func (r *Resource) isRFCSchema(uri string) bool {
	for _, s := range r.rfcSchemas() {
		if strings.EqualFold(uri, s.ID) {
			return true
		}
	}
	return false
}

func (r *Resource) notMapped(p filter.AttrPath, pos int) error {
	return &FilterError{Pos: pos, Msg: fmt.Sprintf("attribute %q is not mapped to a column; mapped attributes are %s", p.String(), strings.Join(r.FilterableAttributes(), ", "))}
}

// FilterableAttributes lists the attribute paths a filter or sortBy may use.
func (r *Resource) FilterableAttributes() []string {
	out := []string{"id"}
	for _, a := range r.Attributes {
		if !a.Hidden() {
			out = append(out, a.Path())
		}
	}
	if r.Active != nil {
		out = append(out, "active")
	}
	if r.CreatedColumn != "" {
		out = append(out, "meta.created")
	}
	if r.LastModifiedColumn != "" || (r.VersionColumn != "" && r.column(r.VersionColumn).kind() == kindTemporal) {
		out = append(out, "meta.lastModified")
	}
	return out
}

// compare compiles `attr op value` for one target.
func (r *Resource) compare(t target, e *filter.Compare) (cond, error) {
	v := e.Value
	op := e.Op
	if v.Kind == filter.Null {
		switch op {
		case filter.Eq:
			return notCond(r.present(t)), nil
		case filter.Ne:
			return r.present(t), nil
		}
		return cond{}, &FilterError{Pos: e.At, Msg: fmt.Sprintf("null can only be compared with eq or ne, not %s", op)}
	}
	if op == filter.Ne {
		c, err := r.compare(t, &filter.Compare{At: e.At, Attr: e.Attr, Op: filter.Eq, Value: v})
		if err != nil {
			return cond{}, err
		}
		return notCond(c), nil
	}
	if err := checkOperator(t, e); err != nil {
		return cond{}, err
	}
	switch {
	case t.absent:
		return condFalse, nil
	case t.isConst:
		return compareConst(t, op, v, e.At)
	case t.active:
		b, err := boolValue(v, t, e.At)
		if err != nil {
			return cond{}, err
		}
		if r.Active.Column == "" {
			return constCond(b), nil // every existing row is active
		}
		in := r.activeIn()
		if b {
			return in, nil
		}
		return notCond(in), nil
	case t.lookup != nil:
		// The value lives in the lookup table: match the keys there.
		l := t.lookup.Lookup
		inner := t
		inner.lookup = nil
		inner.expr = quoteIdent(l.Table) + "." + quoteIdent(l.Match)
		c, err := r.compareColumn(inner, r.columnOf(l.Table, l.Match), op, v, e.At)
		if err != nil || c.k != 0 {
			return c, err
		}
		return r.lookupIn(t.lookup, c), nil
	}
	col := r.column(t.column)
	if t.colFacts != nil {
		col = t.colFacts
	}
	return r.compareColumn(t, col, op, v, e.At)
}

// lookupIn is "the key column holds a key whose looked-up row meets c".
func (r *Resource) lookupIn(a *Attribute, c cond) cond {
	l := a.Lookup
	lt := quoteIdent(l.Table)
	sub := "SELECT " + lt + "." + quoteIdent(l.Key) + " FROM " + lt + " WHERE "
	if c.k == 1 {
		sub += "TRUE"
	} else {
		sub += c.operand('a')
	}
	if l.Tenant != "" {
		sub += " AND " + lt + "." + quoteIdent(l.Tenant) + " = " + r.qualified(r.TenantColumn)
	}
	return cond{sql: quoteIdent(a.Column) + " IN (" + sub + ")", args: c.args}
}

// compareColumn compiles a comparison on one column of known type.
func (r *Resource) compareColumn(t target, col *Column, op filter.Operator, v filter.Value, pos int) (cond, error) {
	e := &filter.Compare{At: pos, Op: op, Value: v}
	switch t.typ {
	case TypeBoolean:
		b, err := boolValue(v, t, e.At)
		if err != nil {
			return cond{}, err
		}
		truth := sqlCond(t.sqlCol() + " <> 0")
		if col.kind() == kindText {
			truth = sqlCond("LOWER(" + t.sqlCol() + ") IN ('1','true','t','yes','y','on')")
		}
		if b {
			return truth, nil
		}
		return notCond(truth), nil
	case TypeDateTime:
		tm, err := timeValue(v, t, e.At)
		if err != nil {
			return cond{}, err
		}
		return sqlCond(t.sqlCol()+" "+sqlOps[op]+" ?", tm), nil
	case TypeInteger, TypeDecimal:
		n, err := numberValue(v, t, e.At)
		if err != nil {
			return cond{}, err
		}
		return sqlCond(t.sqlCol()+" "+sqlOps[op]+" ?", n), nil
	}
	// String-like attributes (string, reference, binary).
	if v.Kind != filter.String && v.Kind != filter.Number {
		return cond{}, &FilterError{Pos: e.At, Msg: fmt.Sprintf("%s is a string attribute; compare it with a quoted string", t.name)}
	}
	s := v.Str
	switch col.kind() {
	case kindInteger, kindDecimal:
		return compareNumericColumn(t, col, op, s, e.At)
	case kindTemporal:
		tm, err := timeValue(filter.Value{Kind: filter.String, Str: s}, t, e.At)
		if err != nil {
			return cond{}, err
		}
		return sqlCond(t.sqlCol()+" "+sqlOps[op]+" ?", tm), nil
	}
	return compareText(t, col, op, s), nil
}

var sqlOps = map[filter.Operator]string{
	filter.Eq: "=", filter.Gt: ">", filter.Ge: ">=", filter.Lt: "<", filter.Le: "<=",
}

// checkOperator enforces RFC 7644 §3.4.2.2: ordering operators do not apply
// to booleans or binary values, and co/sw/ew only to strings.
func checkOperator(t target, e *filter.Compare) error {
	switch e.Op {
	case filter.Gt, filter.Ge, filter.Lt, filter.Le:
		if t.typ == TypeBoolean || t.typ == TypeBinary || t.active {
			return &FilterError{Pos: e.At, Msg: fmt.Sprintf("%s is %s: %s does not apply; use eq or ne", t.name, article(t.typ), e.Op)}
		}
	case filter.Co, filter.Sw, filter.Ew:
		if t.typ != TypeString && t.typ != TypeReference {
			return &FilterError{Pos: e.At, Msg: fmt.Sprintf("%s is %s: %s applies to strings only", t.name, article(t.typ), e.Op)}
		}
	}
	return nil
}

func article(t AttrType) string {
	if t == TypeInteger {
		return "an integer"
	}
	return "a " + string(t)
}

// compareText compiles a string comparison on a text column. Case is
// handled by the column's collation when it already ignores case, so its
// index stays usable; otherwise both sides are folded with LOWER().
// Case-exact attributes on a case-insensitive column are compared under the
// binary collation, next to a plain equality that can use the index.
//
// Equality is exact beyond that. A _ci collation (utf8mb4_general_ci,
// _unicode_ci, MySQL 8's _0900_ai_ci) also ignores accents, so "josé"
// equals "jose", and a PAD SPACE collation (every MariaDB collation but
// the _nopad_ ones, utf8mb4_bin included) ignores trailing spaces. An
// identity provider links accounts with userName eq, so that would link
// the wrong person. The plain equality narrows the rows through the
// index; then both sides are compared as bytes (exactText), with case
// folded for a case-insensitive attribute and nothing else.
func compareText(t target, col *Column, op filter.Operator, s string) cond {
	qc := t.sqlCol()
	fold := !t.caseExact && !col.CaseInsensitive()
	exact := t.caseExact && col.CaseInsensitive()
	expr, arg := qc, "?"
	switch {
	case fold && col.kind() == kindBinary:
		expr, arg = "LOWER(CONVERT("+qc+" USING utf8mb4))", "LOWER(?)"
	case fold:
		expr, arg = "LOWER("+qc+")", "LOWER(?)"
	case exact:
		expr = qc + " COLLATE " + col.binCollation()
	}
	switch op {
	case filter.Co, filter.Sw, filter.Ew:
		return sqlCond(expr+" LIKE "+arg+" ESCAPE '!'", likePattern(op, s))
	case filter.Eq:
		switch {
		case t.caseExact && col.kind() == kindBinary:
			return sqlCond(qc+" = ?", s) // bytes already
		case fold && col.kind() == kindBinary:
			// No index can serve the narrowing: compare exactly at once.
			return sqlCond(exactText(qc, true)+" = "+exactText("?", true), s)
		}
		narrow := expr + " = " + arg
		if exact {
			narrow = qc + " = ?"
		}
		return cond{sql: narrow + " AND " + exactText(qc, !t.caseExact) + " = " + exactText("?", !t.caseExact), args: []any{s, s}, chain: 'a'}
	default:
		return sqlCond(expr+" "+sqlOps[op]+" "+arg, s)
	}
}

// exactText is the byte form of a text expression: converted to utf8mb4
// (so both sides of a comparison share one character set and one case
// mapping, whatever the column's and the connection's are), lower-cased
// when fold is set, and cast to binary, which compares byte by byte:
// accents and trailing spaces count.
func exactText(expr string, fold bool) string {
	e := "CONVERT(" + expr + " USING utf8mb4)"
	if fold {
		e = "LOWER(" + e + ")"
	}
	return "CAST(" + e + " AS BINARY)"
}

// likePattern builds the LIKE pattern for co, sw or ew.
func likePattern(op filter.Operator, s string) string {
	pattern := escapeLike(s)
	if op != filter.Sw {
		pattern = "%" + pattern
	}
	if op != filter.Ew {
		pattern += "%"
	}
	return pattern
}

// escapeLike escapes LIKE's wildcards with "!", the escape character named
// in every generated LIKE (a backslash would depend on NO_BACKSLASH_ESCAPES).
func escapeLike(s string) string {
	if !strings.ContainsAny(s, "%_!") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '%' || r == '_' || r == '!' {
			b.WriteByte('!')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// compareNumericColumn compares a string attribute stored in a numeric
// column, such as an id. The value is parsed strictly: MySQL would turn
// '12abc' into 12, and GET /Users?filter=id eq "12abc" must not find user 12.
func compareNumericColumn(t target, col *Column, op filter.Operator, s string, pos int) (cond, error) {
	qc := t.sqlCol()
	if op == filter.Co || op == filter.Sw || op == filter.Ew {
		return sqlCond("CAST("+qc+" AS CHAR) LIKE ? ESCAPE '!'", likePattern(op, s)), nil
	}
	n, ok := parseNumber(s, col.kind() == kindInteger)
	if !ok {
		if op == filter.Eq {
			return condFalse, nil
		}
		return cond{}, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s is stored as a number; %q is not one", t.name, s)}
	}
	return sqlCond(qc+" "+sqlOps[op]+" ?", n), nil
}

// parseNumber parses s as an integer (int64 or uint64) or, when integer is
// false, as a decimal number.
func parseNumber(s string, integer bool) (any, bool) {
	if integer {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return n, true
		}
		return nil, false
	}
	if _, ok := new(big.Float).SetString(s); !ok || strings.ContainsAny(s, "xXpP_") {
		return nil, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, false
	}
	return f, true
}

func numberValue(v filter.Value, t target, pos int) (any, error) {
	if v.Kind != filter.Number {
		return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s is %s; compare it with a number, not %s", t.name, article(t.typ), v)}
	}
	n, ok := parseNumber(v.Str, t.typ == TypeInteger)
	if !ok {
		return nil, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s is %s; %s is not one", t.name, article(t.typ), v.Str)}
	}
	return n, nil
}

func boolValue(v filter.Value, t target, pos int) (bool, error) {
	switch {
	case v.Kind == filter.Bool:
		return v.Bool, nil
	case v.Kind == filter.String && strings.EqualFold(v.Str, "true"):
		return true, nil
	case v.Kind == filter.String && strings.EqualFold(v.Str, "false"):
		return false, nil
	}
	return false, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s is a boolean; compare it with true or false, not %s", t.name, v)}
}

// timeValue parses an RFC 3339 dateTime (a date alone is midnight UTC).
func timeValue(v filter.Value, t target, pos int) (time.Time, error) {
	if v.Kind == filter.String {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
			if tm, err := time.Parse(layout, v.Str); err == nil {
				return tm.UTC(), nil
			}
		}
	}
	return time.Time{}, &FilterError{Pos: pos, Msg: fmt.Sprintf("%s is a dateTime; compare it with a quoted RFC 3339 time such as \"2024-05-13T04:42:34Z\", not %s", t.name, v)}
}

// compareConst evaluates a comparison whose left side the mapping fixes.
func compareConst(t target, op filter.Operator, v filter.Value, pos int) (cond, error) {
	switch x := t.value.(type) {
	case bool:
		b, err := boolValue(v, t, pos)
		if err != nil {
			return cond{}, err
		}
		return constCond(x == b), nil
	case string:
		if v.Kind != filter.String {
			return condFalse, nil
		}
		a, b := strings.ToLower(x), strings.ToLower(v.Str)
		switch op {
		case filter.Eq:
			return constCond(a == b), nil
		case filter.Co:
			return constCond(strings.Contains(a, b)), nil
		case filter.Sw:
			return constCond(strings.HasPrefix(a, b)), nil
		case filter.Ew:
			return constCond(strings.HasSuffix(a, b)), nil
		case filter.Gt:
			return constCond(a > b), nil
		case filter.Ge:
			return constCond(a >= b), nil
		case filter.Lt:
			return constCond(a < b), nil
		case filter.Le:
			return constCond(a <= b), nil
		}
	}
	return condFalse, nil
}

// present compiles `attr pr`: the attribute has a non-empty value.
func (r *Resource) present(t target) cond {
	switch {
	case t.absent:
		return condFalse
	case t.isConst:
		s, _ := textOf(t.value)
		return constCond(s != "")
	case t.active:
		return condTrue
	case t.lookup != nil:
		return r.lookupIn(t.lookup, condTrue)
	}
	qc := t.sqlCol()
	col := r.column(t.column)
	if t.colFacts != nil {
		col = t.colFacts
	}
	if col.kind() == kindText || col.kind() == kindBinary {
		if !col.Nullable {
			return sqlCond(qc + " <> ''")
		}
		return sqlCond("(" + qc + " IS NOT NULL AND " + qc + " <> '')")
	}
	if !col.Nullable {
		return condTrue
	}
	return sqlCond(qc + " IS NOT NULL")
}

// activeIn is the condition "the active column holds a true value".
func (r *Resource) activeIn() cond {
	return inList(quoteIdent(r.Active.Column), r.Active.True)
}

// inList compiles qc IN (values), qc being a quoted column, with a nil
// value meaning IS NULL.
func inList(qc string, values []any) cond {
	var nonNull []any
	hasNull := false
	for _, v := range values {
		if v == nil {
			hasNull = true
			continue
		}
		nonNull = append(nonNull, v)
	}
	out := condFalse
	switch len(nonNull) {
	case 0:
	case 1:
		out = sqlCond(qc+" = ?", nonNull[0])
	default:
		out = sqlCond(qc+" IN ("+placeholders(len(nonNull))+")", nonNull...)
	}
	if hasNull {
		out = orCond(out, sqlCond(qc+" IS NULL"))
	}
	return out
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

// quoteIdent quotes a column or table name for MySQL. Names come from the
// validated mapping; quoting also covers reserved words such as `order`.
func quoteIdent(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return quoteIdent(name[:i]) + "." + quoteIdent(name[i+1:])
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
