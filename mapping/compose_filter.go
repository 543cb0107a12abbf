package mapping

import (
	"encoding/hex"
	"fmt"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// maxFilteredParts bounds the templates whose parts filters compile:
// each part's expression repeats the rest of the value before it, so it
// grows threefold with every part.
const maxFilteredParts = 3

// partSQL is the SQL expression that reads a composed part from its
// column by the split rule of mapping/template, so that a filter on
// name.familyName selects exactly the rows whose familyName reads as the
// filter says. It compares bytes (utf8mb4_bin), as Go's split does, so a
// separator matches only itself. ok is false for templates it cannot
// express: with a literal before the first or after the last part, or
// with more than maxFilteredParts parts.
func (c *Composition) partSQL(i int) (expr string, ok bool) {
	t := c.Template
	if t.Lead != "" || t.Trail != "" || len(t.Parts) > maxFilteredParts {
		return "", false
	}
	rest := "CONVERT(" + sqlstmt.Ident(c.Column) + " USING utf8mb4) COLLATE utf8mb4_bin"
	for k := 0; k < i; k++ {
		sep := sepSQL(t.Parts[k+1].Sep)
		at := "LOCATE(" + sep + ", " + rest + ")"
		rest = "IF(" + at + " > 0, SUBSTRING(" + rest + ", " + at + " + CHAR_LENGTH(" + sep + ")), '')"
	}
	if i == len(t.Parts)-1 {
		return rest, true
	}
	sep := sepSQL(t.Parts[i+1].Sep)
	at := "LOCATE(" + sep + ", " + rest + ")"
	return "IF(" + at + " > 0, LEFT(" + rest + ", " + at + " - 1), " + rest + ")", true
}

// sepSQL writes a template literal as a hexadecimal string literal: the
// mapping's text never becomes SQL text.
func sepSQL(sep string) string {
	return "CONVERT(X'" + hex.EncodeToString([]byte(sep)) + "' USING utf8mb4) COLLATE utf8mb4_bin"
}

// partColumn describes a part's expression to the comparisons: text in
// utf8mb4_bin, NULL when the column is.
var partColumn = &Column{Name: "(part)", DataType: "varchar", ColumnType: "varchar", Nullable: true, Charset: "utf8mb4", Collation: "utf8mb4_bin"}

// composedTarget is the filter target of a composed part, or an error
// when its template has no SQL form.
func composedTarget(a *Attribute, pos int) (target, error) {
	expr, ok := a.Composed.partSQL(a.part)
	if !ok {
		return target{}, composedFilterErr(a, pos)
	}
	t := attrTarget(a)
	t.expr, t.colFacts, t.composed = expr, partColumn, a
	return t, nil
}

// composedFilterErr refuses a filter on a composed part whose template
// has no SQL form (see partSQL), and any sortBy on one.
func composedFilterErr(a *Attribute, pos int) error {
	msg := fmt.Sprintf("%s is stored inside column %q as %q and cannot be filtered or sorted on; filter on userName or another attribute with a column of its own", a.Path(), a.Composed.Column, a.Composed.Template.String())
	return &FilterError{Pos: pos, Msg: msg}
}

// filterable reports whether a filter may name the attribute: not a
// composed part whose template has no SQL form.
func (a *Attribute) filterable() bool {
	if a.Composed == nil {
		return true
	}
	_, ok := a.Composed.partSQL(a.part)
	return ok
}
