package filter

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Limits that keep a hostile filter from costing more than a real one.
const (
	// MaxLength is the longest filter or path accepted, in bytes.
	MaxLength = 16 << 10
	// MaxDepth bounds nesting of parentheses, not and value paths.
	MaxDepth = 32
	// MaxTerms bounds the number of comparisons in one filter.
	MaxTerms = 1000
)

// Parse parses a SCIM filter. Attribute names and operators are
// case-insensitive; the tree keeps names as written and operators in
// canonical lower case.
//
// Besides RFC 7644's grammar it accepts `attr[filter].sub op value`, which
// some clients send, as shorthand for `attr[filter and sub op value]`.
func Parse(src string) (Expr, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, err
	}
	if p.peek().kind == tokEOF {
		return nil, &SyntaxError{Pos: 0, Msg: "filter is empty"}
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.errorf(t, "unexpected %s after a complete expression; combine expressions with \"and\" or \"or\"", t.describe())
	}
	return e, nil
}

// Path is a PATCH operation's target: attrPath, or valuePath with an
// optional sub-attribute (RFC 7644 §3.5.2: PATH = attrPath / valuePath [subAttr]).
type Path struct {
	Attr AttrPath
	// Filter selects values of a multi-valued Attr; nil when absent.
	Filter Expr
	// Sub is the sub-attribute after a value filter, as in
	// emails[type eq "work"].value; empty when absent.
	Sub string
}

// String renders the path in canonical syntax.
func (p Path) String() string {
	s := p.Attr.String()
	if p.Filter != nil {
		s += "[" + p.Filter.String() + "]"
	}
	if p.Sub != "" {
		s += "." + p.Sub
	}
	return s
}

// ParsePath parses a PATCH operation path such as `name.givenName`,
// `emails[type eq "work"].value` or `members[value eq "42"]`.
func ParsePath(src string) (Path, error) {
	p, err := newParser(src)
	if err != nil {
		return Path{}, err
	}
	t := p.next()
	if t.kind != tokWord {
		return Path{}, p.errorf(t, "path must start with an attribute name, got %s", t.describe())
	}
	attr, err := parseAttrPath(t.text, t.pos)
	if err != nil {
		return Path{}, err
	}
	path := Path{Attr: attr}
	if p.peek().kind == tokLBrack {
		open := p.next()
		if attr.Sub != "" {
			return Path{}, p.errorf(open, "a value filter applies to a multi-valued attribute, not to the sub-attribute %q", attr.String())
		}
		f, err := p.parseValueFilter(open)
		if err != nil {
			return Path{}, err
		}
		path.Filter = f
		if t := p.peek(); t.kind == tokWord && strings.HasPrefix(t.text, ".") {
			p.next()
			sub := t.text[1:]
			if !isAttrName(sub) {
				return Path{}, p.errorf(t, "invalid sub-attribute name %q", sub)
			}
			path.Sub = sub
		}
	}
	if t := p.peek(); t.kind != tokEOF {
		return Path{}, p.errorf(t, "unexpected %s in path", t.describe())
	}
	return path, nil
}

// ParseAttrPath parses a plain attribute reference as used by the
// attributes, excludedAttributes and sortBy parameters.
func ParseAttrPath(src string) (AttrPath, error) {
	if len(src) > MaxLength {
		return AttrPath{}, &SyntaxError{Pos: MaxLength, Msg: fmt.Sprintf("attribute path is longer than %d bytes", MaxLength)}
	}
	if strings.TrimSpace(src) != src || src == "" || strings.ContainsAny(src, " \t\r\n()[]\"") {
		return AttrPath{}, &SyntaxError{Pos: 0, Msg: fmt.Sprintf("%q is not an attribute name", src)}
	}
	return parseAttrPath(src, 0)
}

type parser struct {
	toks  []token
	i     int
	depth int
	terms int
}

func newParser(src string) (*parser, error) {
	if len(src) > MaxLength {
		return nil, &SyntaxError{Pos: MaxLength, Msg: fmt.Sprintf("longer than %d bytes", MaxLength)}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	return &parser{toks: toks}, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) isKeyword(word string) bool {
	t := p.peek()
	return t.kind == tokWord && strings.EqualFold(t.text, word)
}

func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errorf(t, "expression nested more than %d levels deep", MaxDepth)
	}
	return nil
}

func (p *parser) parseOr() (Expr, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("or") {
		p.next()
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = &Or{Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) parseAnd() (Expr, error) {
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("and") {
		p.next()
		right, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		left = &And{Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) parseUnary() (Expr, error) {
	t := p.peek()
	switch {
	case t.kind == tokLParen:
		p.next()
		return p.parseGroup(t)
	case p.isKeyword("not"):
		p.next()
		open := p.next()
		if open.kind != tokLParen {
			return nil, p.errorf(open, `"not" must be followed by a parenthesised expression, as in not (userName eq "x")`)
		}
		x, err := p.parseGroup(open)
		if err != nil {
			return nil, err
		}
		return &Not{At: t.pos, X: x}, nil
	case t.kind == tokWord:
		if isLogical(t.text) {
			return nil, p.errorf(t, "expected an attribute name before %q", t.text)
		}
		p.next()
		return p.parseAttrExpr(t)
	default:
		return nil, p.errorf(t, "expected an attribute name, \"(\" or \"not\", got %s", t.describe())
	}
}

// parseGroup parses the inside of a parenthesised expression whose opening
// parenthesis has been consumed.
func (p *parser) parseGroup(open token) (Expr, error) {
	if err := p.enter(open); err != nil {
		return nil, err
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tokRParen {
		return nil, p.errorf(t, "expected \")\" to close the \"(\" at position %d, got %s", open.pos, t.describe())
	}
	p.depth--
	return e, nil
}

func (p *parser) parseAttrExpr(name token) (Expr, error) {
	attr, err := parseAttrPath(name.text, name.pos)
	if err != nil {
		return nil, err
	}
	if open := p.peek(); open.kind == tokLBrack {
		p.next()
		if attr.Sub != "" {
			return nil, p.errorf(open, "a value filter applies to a multi-valued attribute, not to the sub-attribute %q", attr.String())
		}
		f, err := p.parseValueFilter(open)
		if err != nil {
			return nil, err
		}
		vp := &ValuePath{At: name.pos, Attr: attr, Filter: f}
		// attr[filter].sub op value: fold the trailing comparison into the filter.
		if t := p.peek(); t.kind == tokWord && strings.HasPrefix(t.text, ".") {
			p.next()
			sub := t.text[1:]
			if !isAttrName(sub) {
				return nil, p.errorf(t, "invalid sub-attribute name %q", sub)
			}
			cmp, err := p.parseOperation(token{kind: tokWord, pos: t.pos + 1, text: sub}, AttrPath{Name: sub})
			if err != nil {
				return nil, err
			}
			vp.Filter = &And{Left: f, Right: cmp}
		}
		return vp, nil
	}
	return p.parseOperation(name, attr)
}

// parseValueFilter parses `filter]` after the opening bracket of a value path.
func (p *parser) parseValueFilter(open token) (Expr, error) {
	if err := p.enter(open); err != nil {
		return nil, err
	}
	f, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tokRBrack {
		return nil, p.errorf(t, "expected \"]\" to close the \"[\" at position %d, got %s", open.pos, t.describe())
	}
	p.depth--
	if err := checkSubAttrs(f); err != nil {
		return nil, err
	}
	return f, nil
}

// checkSubAttrs rejects what the grammar forbids inside a value filter:
// qualified or dotted names and nested value paths.
func checkSubAttrs(e Expr) error {
	switch e := e.(type) {
	case *Compare:
		return checkSubAttr(e.At, e.Attr)
	case *Present:
		return checkSubAttr(e.At, e.Attr)
	case *And:
		if err := checkSubAttrs(e.Left); err != nil {
			return err
		}
		return checkSubAttrs(e.Right)
	case *Or:
		if err := checkSubAttrs(e.Left); err != nil {
			return err
		}
		return checkSubAttrs(e.Right)
	case *Not:
		return checkSubAttrs(e.X)
	case *ValuePath:
		return &SyntaxError{Pos: e.At, Msg: "value filters cannot be nested"}
	}
	return nil
}

func checkSubAttr(pos int, a AttrPath) error {
	if a.URI != "" || a.Sub != "" {
		return &SyntaxError{Pos: pos, Msg: fmt.Sprintf("inside [ ] name a sub-attribute of the enclosing attribute (such as type or value), not %q", a.String())}
	}
	return nil
}

func (p *parser) parseOperation(name token, attr AttrPath) (Expr, error) {
	opTok := p.next()
	if opTok.kind != tokWord {
		return nil, p.errorf(opTok, "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after %q, got %s", name.text, opTok.describe())
	}
	p.terms++
	if p.terms > MaxTerms {
		return nil, p.errorf(name, "more than %d comparisons in one filter", MaxTerms)
	}
	lower := strings.ToLower(opTok.text)
	if lower == "pr" {
		return &Present{At: name.pos, Attr: attr}, nil
	}
	op, ok := operators[lower]
	if !ok {
		return nil, p.errorf(opTok, "unknown operator %q after %q; use eq, ne, co, sw, ew, gt, ge, lt, le or pr", opTok.text, name.text)
	}
	v, err := p.parseValue(opTok)
	if err != nil {
		return nil, err
	}
	return &Compare{At: name.pos, Attr: attr, Op: op, Value: v}, nil
}

func (p *parser) parseValue(op token) (Value, error) {
	t := p.next()
	switch t.kind {
	case tokString:
		return Value{Kind: String, Str: t.text}, nil
	case tokWord:
		switch strings.ToLower(t.text) {
		case "true":
			return Value{Kind: Bool, Bool: true}, nil
		case "false":
			return Value{Kind: Bool, Bool: false}, nil
		case "null":
			return Value{Kind: Null}, nil
		}
		if isNumber(t.text) {
			return Value{Kind: Number, Str: t.text}, nil
		}
		return Value{}, p.errorf(t, "expected a value after %q: a quoted string, a number, true, false or null, got %s (strings need double quotes)", op.text, t.describe())
	default:
		return Value{}, p.errorf(t, "expected a value after %q: a quoted string, a number, true, false or null, got %s", op.text, t.describe())
	}
}

func isLogical(word string) bool {
	return strings.EqualFold(word, "and") || strings.EqualFold(word, "or")
}

func isNumber(s string) bool {
	if s == "" || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) {
		return false
	}
	return json.Valid([]byte(s))
}

// parseAttrPath splits `[URI ":"] ATTRNAME ["." subAttr]`.
func parseAttrPath(s string, pos int) (AttrPath, error) {
	var a AttrPath
	rest := s
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		a.URI, rest = s[:i], s[i+1:]
		if !isURN(a.URI) {
			return AttrPath{}, &SyntaxError{Pos: pos, Msg: fmt.Sprintf("%q is not a schema URN (urn:...) followed by \":\" and an attribute name", s)}
		}
	}
	name, sub, dotted := strings.Cut(rest, ".")
	if !isAttrName(name) {
		return AttrPath{}, &SyntaxError{Pos: pos, Msg: fmt.Sprintf("%q is not a valid attribute name: names start with a letter and contain letters, digits, \"-\" and \"_\"", s)}
	}
	if dotted {
		if !isSubAttrName(sub) {
			return AttrPath{}, &SyntaxError{Pos: pos, Msg: fmt.Sprintf("%q is not a valid attribute path: expected attribute or attribute.subAttribute", s)}
		}
		a.Sub = sub
	}
	a.Name = name
	return a, nil
}

// isAttrName reports whether s matches ATTRNAME = ALPHA *(nameChar).
func isAttrName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// isSubAttrName accepts ATTRNAME and "$ref", the reference sub-attribute
// RFC 7643 defines for members, groups and manager.
func isSubAttrName(s string) bool {
	return isAttrName(s) || strings.EqualFold(s, "$ref")
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// isURN accepts urn:<segments> where segments hold letters, digits and
// ".-_", separated by ":".
func isURN(s string) bool {
	if len(s) < 5 || !strings.EqualFold(s[:4], "urn:") {
		return false
	}
	for _, seg := range strings.Split(s[4:], ":") {
		if seg == "" {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '.' && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}
