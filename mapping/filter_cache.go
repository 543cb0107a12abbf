package mapping

import (
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping/filter"
)

// The filter cache. An identity provider looks a user up before every
// push with the same filter but for the value, userName eq "<login>", and
// parsing and compiling it each time was about a tenth of the lookup's
// CPU. A filter that is one comparison of a string literal is compiled
// once per shape, the filter with the literal's content cut out, and the
// literal is bound as an argument of the compiled predicate.
//
// A shape is cached only when its SQL provably does not depend on the
// literal: the comparison reads plain text columns (compareText), whose
// SQL text depends on the column, its collation and the operator, and
// whose arguments are the literal itself or, for co, sw and ew, its LIKE
// pattern. Constants, the active flag, lookups, related tables, composed
// values, numeric and temporal columns and memberships examine the
// literal itself (they parse it, compare it with the mapping or fold it
// away) and are compiled afresh every time. A template is kept only when
// binding the literal it was learnt from gives exactly the predicate
// compiling that filter gave.

// filterCacheSize bounds the shapes remembered per resource. Real clients
// send a handful (userName eq, externalId eq, emails.value eq ...).
const filterCacheSize = 256

// probeLiteral stands for the literal when a shape is compiled. It holds
// NUL, which no literal the cache binds can hold (splitShape refuses
// control characters), and no LIKE wildcard or escape character.
const probeLiteral = "\x00retroscim filter literal\x00"

// filterShape is a filter with the content of its string literal cut out:
// what precedes it, through the opening quote, and what follows it, from
// the closing quote.
type filterShape struct{ prefix, suffix string }

type argSlot int8

const (
	argKeep    argSlot = iota // the template's own argument
	argLiteral                // the literal
	argLike                   // the literal's LIKE pattern
	argTenant                 // the caller's tenant
)

// filterTemplate is a shape's predicate compiled with probeLiteral and
// where its arguments come from.
type filterTemplate struct {
	pred  sqlstmt.Pred
	slots []argSlot
	op    filter.Operator
	// where is the predicate of a list with the filter, the scope AND
	// pred, with tenantMarker for the tenant; whereSlots say where its
	// arguments come from. Unset (where.IsTrue) when the scope is not a
	// template (tenant_through).
	where      sqlstmt.Pred
	whereSlots []argSlot
}

// filterCache holds a resource's templates; nil caches nothing.
type filterCache struct {
	lru *lru.Cache[filterShape, *filterTemplate]
	// last is the shape found last and its template, read without the
	// LRU's lock (a write to memory every core shares, and the recency
	// list moved, on every Get): an identity provider's lookups nearly
	// all have one shape. A template depends on its shape alone, so the
	// one kept here is the one the LRU holds or would compile again.
	last atomic.Pointer[shapeTemplate]
}

// shapeTemplate is a shape (its own copy, not the request's filter) and
// its template.
type shapeTemplate struct {
	shape filterShape
	t     *filterTemplate
}

func newFilterCache() *filterCache {
	c, err := lru.New[filterShape, *filterTemplate](filterCacheSize)
	if err != nil {
		panic(err) // only for a size <= 0
	}
	return &filterCache{lru: c}
}

// splitShape cuts the first string literal out of src when binding a
// different literal there cannot change how src lexes: its content has no
// escape, no control character and is valid UTF-8, so it ends at the next
// quote and decodes to itself, as any other such content would. ok is
// false for anything else (compiled without the cache).
func splitShape(src string) (shape filterShape, lit string, ok bool) {
	if len(src) > filter.MaxLength {
		return filterShape{}, "", false
	}
	open := strings.IndexByte(src, '"')
	if open < 0 {
		return filterShape{}, "", false
	}
	n := strings.IndexByte(src[open+1:], '"')
	if n < 0 {
		return filterShape{}, "", false
	}
	end := open + 1 + n
	lit = src[open+1 : end]
	ascii := true
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		if c < 0x20 || c == '\\' {
			return filterShape{}, "", false
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	if !ascii && !utf8.ValidString(lit) {
		return filterShape{}, "", false
	}
	return filterShape{prefix: src[:open+1], suffix: src[end:]}, lit, true
}

// get returns the template of a shape.
func (c *filterCache) get(s filterShape) (*filterTemplate, bool) {
	if c == nil {
		return nil, false
	}
	if l := c.last.Load(); l != nil && l.shape == s {
		return l.t, true
	}
	t, ok := c.lru.Get(s)
	if ok {
		c.last.Store(&shapeTemplate{shape: filterShape{prefix: strings.Clone(s.prefix), suffix: strings.Clone(s.suffix)}, t: t})
	}
	return t, ok
}

// learn remembers the template of shape s, when the filter e (with literal
// lit) compiled to p is one it may be: a single comparison with lit, on
// plain text columns, whose template bound to lit gives p again.
func (c *filterCache) learn(r *Resource, s filterShape, lit string, e filter.Expr, p sqlstmt.Pred) {
	if c == nil {
		return
	}
	cmp, ok := e.(*filter.Compare)
	if !ok || cmp.Value.Kind != filter.String || cmp.Value.Str != lit || !r.comparesTextOnly(cmp) {
		return
	}
	probe := *cmp
	probe.Value.Str = probeLiteral
	tp, err := r.compile(&probe, nil)
	if err != nil || strings.Contains(tp.SQL(), probeLiteral) {
		return
	}
	t := &filterTemplate{pred: tp, slots: make([]argSlot, len(tp.Args())), op: cmp.Op}
	like := ""
	if cmp.Op == filter.Co || cmp.Op == filter.Sw || cmp.Op == filter.Ew {
		like = likePattern(cmp.Op, probeLiteral)
	}
	for i, a := range tp.Args() {
		str, isStr := a.(string)
		switch {
		case !isStr:
		case str == probeLiteral:
			t.slots[i] = argLiteral
		case like != "" && str == like:
			t.slots[i] = argLike
		case strings.Contains(str, probeLiteral):
			return // the literal is used some other way
		}
	}
	if !t.bind(lit).Same(p) {
		return
	}
	if r.scopeTmpl != nil && !slices.Contains(tp.Args(), any(tenantSlot{})) {
		t.where = sqlstmt.And(*r.scopeTmpl, tp)
		t.whereSlots = make([]argSlot, 0, len(t.where.Args()))
		for _, a := range r.scopeTmpl.Args() {
			if m, ok := a.(*sqlstmt.Marker); ok && m == tenantMarker {
				t.whereSlots = append(t.whereSlots, argTenant)
			} else {
				t.whereSlots = append(t.whereSlots, argKeep)
			}
		}
		t.whereSlots = append(t.whereSlots, t.slots...)
		if len(t.whereSlots) != len(t.where.Args()) || !bindSlots(t.where, t.whereSlots, t.op, lit, tenantMarker).Same(sqlstmt.And(*r.scopeTmpl, p)) {
			return
		}
	}
	c.lru.Add(filterShape{prefix: strings.Clone(s.prefix), suffix: strings.Clone(s.suffix)}, t)
}

// bind is the template's predicate for the literal lit.
func (t *filterTemplate) bind(lit string) sqlstmt.Pred {
	return bindSlots(t.pred, t.slots, t.op, lit, nil)
}

// bindWhere is the predicate of a list with the filter for the literal
// lit and the tenant (as the tenant column holds it); ok is false when
// the template has none.
func (t *filterTemplate) bindWhere(lit string, tenant any) (p sqlstmt.Pred, ok bool) {
	if t.whereSlots == nil {
		return sqlstmt.Pred{}, false
	}
	return bindSlots(t.where, t.whereSlots, t.op, lit, tenant), true
}

// bindSlots is p with the arguments slots say come from the literal lit
// (of a comparison with op) and from the tenant.
func bindSlots(p sqlstmt.Pred, slots []argSlot, op filter.Operator, lit string, tenant any) sqlstmt.Pred {
	var litArg, likeArg any
	args := make([]any, len(slots))
	for i, s := range slots {
		switch s {
		case argLiteral:
			if litArg == nil {
				litArg = lit
			}
			args[i] = litArg
		case argLike:
			if likeArg == nil {
				likeArg = likePattern(op, lit)
			}
			args[i] = likeArg
		case argTenant:
			args[i] = tenant
		default:
			args[i] = p.Args()[i]
		}
	}
	return p.Rebind(args)
}

// comparesTextOnly reports whether the comparison compiles, for every
// place the attribute is stored, through compareText on a text or binary
// column: the only comparisons whose SQL does not depend on the literal.
func (r *Resource) comparesTextOnly(e *filter.Compare) bool {
	if r.membershipAttr(e.Attr) {
		return false
	}
	targets, err := r.resolve(e.Attr, e.At, nil, false)
	if err != nil || len(targets) == 0 {
		return false
	}
	for _, t := range targets {
		if t.absent || t.isConst || t.active || t.lookup != nil || t.related != nil || t.composed != nil ||
			t.expr != "" || t.colFacts != nil || t.epoch != EpochNone {
			return false
		}
		if t.typ != TypeString && t.typ != TypeReference {
			return false
		}
		switch r.column(t.column).kind() {
		case kindText, kindBinary:
		default:
			return false
		}
	}
	return true
}
