package mapping

import "strings"

// Preview is the row as it would be once ch is written: each plain column
// write applied to a copy of row. Writes it cannot show (SQL expressions,
// columns of other tables, values looked up or composed by the database)
// leave the row's value as it is. For answers that must not write (dry
// run): they show what a real write would have answered as far as it can
// be known without writing.
func (r *Resource) Preview(row Row, ch *Change) Row {
	out := append(Row(nil), row...)
	if ch == nil {
		return out
	}
	for _, a := range ch.Set {
		i, ok := r.colIndex[strings.ToLower(a.Column)]
		if a.SQL != "" || !ok || i >= len(out) || (a.Attr != nil && a.Attr.Mutability == WriteOnly) {
			continue
		}
		out[i] = a.Value
	}
	return out
}
