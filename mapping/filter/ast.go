// Package filter parses SCIM filter expressions (RFC 7644 §3.4.2.2) and
// PATCH attribute paths (RFC 7644 §3.5.2) into syntax trees.
//
// The package knows the grammar only: it does not know which attributes
// exist. Resolving names against a resource mapping and compiling a tree to
// SQL is the job of package mapping.
package filter

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Expr is a node of a filter syntax tree: *Compare, *Present, *And, *Or,
// *Not or *ValuePath.
type Expr interface {
	// String renders the expression in canonical filter syntax; parsing the
	// result yields an equal tree.
	String() string
	// Pos is the byte offset in the source where the expression starts.
	Pos() int
	node()
}

// AttrPath is an attribute reference: [URI ":"] Name ["." Sub].
// URI is empty for names that are not schema-qualified.
type AttrPath struct {
	URI  string
	Name string
	Sub  string
}

// String renders the path as it would be written in a filter.
func (p AttrPath) String() string {
	var b strings.Builder
	if p.URI != "" {
		b.WriteString(p.URI)
		b.WriteByte(':')
	}
	b.WriteString(p.Name)
	if p.Sub != "" {
		b.WriteByte('.')
		b.WriteString(p.Sub)
	}
	return b.String()
}

// Operator is a comparison operator. The constants hold the canonical
// lower-case spelling; parsing is case-insensitive.
type Operator string

// The comparison operators of RFC 7644 §3.4.2.2 (pr is a separate node).
const (
	Eq Operator = "eq"
	Ne Operator = "ne"
	Co Operator = "co"
	Sw Operator = "sw"
	Ew Operator = "ew"
	Gt Operator = "gt"
	Ge Operator = "ge"
	Lt Operator = "lt"
	Le Operator = "le"
)

var operators = map[string]Operator{
	"eq": Eq, "ne": Ne, "co": Co, "sw": Sw, "ew": Ew,
	"gt": Gt, "ge": Ge, "lt": Lt, "le": Le,
}

// Kind says which JSON type a comparison value has.
type Kind int

// Value kinds.
const (
	String Kind = iota
	Number
	Bool
	Null
)

// Value is a comparison value: a JSON string, number, boolean or null.
type Value struct {
	Kind Kind
	// Str holds the decoded string for String, and the literal text for
	// Number (kept as text so no precision is lost before the compiler
	// knows the attribute's type).
	Str  string
	Bool bool
}

// String renders the value as a JSON literal.
func (v Value) String() string {
	switch v.Kind {
	case String:
		return quoteJSON(v.Str)
	case Number:
		return v.Str
	case Bool:
		return strconv.FormatBool(v.Bool)
	default:
		return "null"
	}
}

// Compare is `attrPath op value`.
type Compare struct {
	At    int
	Attr  AttrPath
	Op    Operator
	Value Value
}

// Present is `attrPath pr`.
type Present struct {
	At   int
	Attr AttrPath
}

// And is `left and right`.
type And struct {
	Left, Right Expr
}

// Or is `left or right`.
type Or struct {
	Left, Right Expr
}

// Not is `not (x)`.
type Not struct {
	At int
	X  Expr
}

// ValuePath is `attrPath[filter]`: Filter names sub-attributes of Attr.
type ValuePath struct {
	At     int
	Attr   AttrPath
	Filter Expr
}

func (*Compare) node()   {}
func (*Present) node()   {}
func (*And) node()       {}
func (*Or) node()        {}
func (*Not) node()       {}
func (*ValuePath) node() {}

// Pos reports where the expression starts in the source.
func (e *Compare) Pos() int { return e.At }

// Pos reports where the expression starts in the source.
func (e *Present) Pos() int { return e.At }

// Pos reports where the expression starts in the source.
func (e *And) Pos() int { return e.Left.Pos() }

// Pos reports where the expression starts in the source.
func (e *Or) Pos() int { return e.Left.Pos() }

// Pos reports where the expression starts in the source.
func (e *Not) Pos() int { return e.At }

// Pos reports where the expression starts in the source.
func (e *ValuePath) Pos() int { return e.At }

func (e *Compare) String() string {
	return e.Attr.String() + " " + string(e.Op) + " " + e.Value.String()
}

func (e *Present) String() string { return e.Attr.String() + " pr" }

// String parenthesises an operand of lower precedence so that the output
// parses back to the same tree.
func (e *And) String() string {
	return group(e.Left, precAnd) + " and " + group(e.Right, precAnd+1)
}

func (e *Or) String() string {
	return group(e.Left, precOr) + " or " + group(e.Right, precOr+1)
}

func (e *Not) String() string { return "not (" + e.X.String() + ")" }

func (e *ValuePath) String() string {
	return e.Attr.String() + "[" + e.Filter.String() + "]"
}

const (
	precOr = iota + 1
	precAnd
	precAtom
)

func precedence(e Expr) int {
	switch e.(type) {
	case *Or:
		return precOr
	case *And:
		return precAnd
	default:
		return precAtom
	}
}

func group(e Expr, min int) string {
	if precedence(e) < min {
		return "(" + e.String() + ")"
	}
	return e.String()
}

// quoteJSON renders s as a JSON string literal without HTML escaping.
func quoteJSON(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string cannot fail
	return strings.TrimSuffix(b.String(), "\n")
}
