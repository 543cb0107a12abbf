package mapping

import (
	"errors"
	"fmt"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping/filter"
)

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
//
// A filter that is one comparison with a string literal, such as
// userName eq "bjensen", is compiled once per shape and the literal bound
// as an argument (see filterCache); the predicate is the same.
func (r *Resource) CompileFilter(src string) (sqlstmt.Pred, error) {
	shape, lit, cacheable := splitShape(src)
	if cacheable {
		if t, ok := r.filters.get(shape); ok {
			return t.bind(lit), nil
		}
	}
	e, err := parseFilter(src)
	if err != nil {
		return sqlstmt.Pred{}, err
	}
	p, err := r.Compile(e)
	if err == nil && cacheable {
		r.filters.learn(r, shape, lit, e, p)
	}
	return p, err
}

// parseFilter parses a SCIM filter; errors are *FilterError.
func parseFilter(src string) (filter.Expr, error) {
	e, err := filter.Parse(src)
	if err != nil {
		var se *filter.SyntaxError
		if errors.As(err, &se) {
			return nil, &FilterError{Pos: se.Pos, Msg: se.Msg}
		}
		return nil, &FilterError{Msg: err.Error()}
	}
	return e, nil
}

// Compile compiles a parsed filter into a predicate. Parts of the filter
// that are decided by the mapping alone (emails[type eq "work"] when only
// work emails are mapped) are folded away; a filter that can never match
// compiles to FALSE.
func (r *Resource) Compile(e filter.Expr) (sqlstmt.Pred, error) {
	return r.compile(e, nil)
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

func (r *Resource) compile(e filter.Expr, sc *scope) (sqlstmt.Pred, error) {
	switch e := e.(type) {
	case *filter.And:
		l, err := r.compile(e.Left, sc)
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		rt, err := r.compile(e.Right, sc)
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		return sqlstmt.And(l, rt), nil
	case *filter.Or:
		l, err := r.compile(e.Left, sc)
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		rt, err := r.compile(e.Right, sc)
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		return sqlstmt.Or(l, rt), nil
	case *filter.Not:
		x, err := r.compile(e.X, sc)
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		return sqlstmt.Not(x), nil
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
			return sqlstmt.Pred{}, err
		}
		return r.anyTarget(targets, func(t target) (sqlstmt.Pred, error) { return r.compare(t, e) })
	case *filter.Present:
		if sc == nil {
			if c, ok, err := r.compileMembershipFilter(e); ok {
				return c, err
			}
		}
		targets, err := r.resolve(e.Attr, e.At, sc, true)
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		return r.anyTarget(targets, func(t target) (sqlstmt.Pred, error) { return r.present(t), nil })
	}
	return sqlstmt.Pred{}, &FilterError{Pos: e.Pos(), Msg: "unsupported expression"}
}

// anyTarget ORs a condition over every place the attribute is stored: a
// multi-valued attribute matches when any of its values does.
func (r *Resource) anyTarget(targets []target, f func(target) (sqlstmt.Pred, error)) (sqlstmt.Pred, error) {
	out := sqlstmt.False
	for _, t := range targets {
		c, err := f(t)
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		out = sqlstmt.Or(out, c)
	}
	return out, nil
}

func (r *Resource) compileValuePath(e *filter.ValuePath) (sqlstmt.Pred, error) {
	def, _, err := r.lookupDef(e.Attr, e.At)
	if err != nil {
		return sqlstmt.Pred{}, err
	}
	if e.Attr.Sub != "" || def.Type != TypeComplex {
		return sqlstmt.Pred{}, &FilterError{Pos: e.At, Msg: fmt.Sprintf("%s is not a complex attribute, so it takes no [filter]", e.Attr)}
	}
	va := r.viewAttrOf(def)
	if va == nil {
		return sqlstmt.Pred{}, r.notMapped(e.Attr, e.At)
	}
	def = va.def
	all := va.allAttrs()
	if !def.MultiValued {
		return r.compile(e.Filter, &scope{parent: def, subs: va.subs, all: all})
	}
	out := sqlstmt.False
	for i, en := range va.entries {
		c, err := r.compile(e.Filter, &scope{parent: def, entry: en, subs: en.subs, first: i == 0, all: all})
		if err != nil {
			return sqlstmt.Pred{}, err
		}
		out = sqlstmt.Or(out, c)
	}
	return out, nil
}
