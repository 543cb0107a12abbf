package mapping

import (
	"bytes"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DropUnchanged removes from a change the column writes the row already
// holds, so that a request whose effect is nil writes nothing: no UPDATE
// (which would bump last-modified and version columns, fire the app's
// triggers and move ON UPDATE CURRENT_TIMESTAMP columns), no new ETag, no
// audit entry. Draft.Changes already skips attributes whose value did not
// change; this catches what only the stored form shows: a lookup value in
// another case that resolves to the key already stored ("admin" for
// "Admin"), a time with more precision than the column keeps, a decimal
// written another way ("1.50" for "1.5"), a cleartext password sent
// again. Diff and Changed keep only the attributes still written.
//
// row is the row as locked for the write; DropUnchanged must be called
// once every lookup is resolved (Change.Resolve), since it settles them.
func (r *Resource) DropUnchanged(ch *Change, row Row) {
	kept := make([]Assignment, 0, len(ch.Set))
	live := map[string]bool{}
	for _, a := range ch.Set {
		if r.holds(row, a) {
			continue
		}
		kept = append(kept, a)
		switch {
		case a.Attr != nil && a.Attr.Composed != nil:
			for _, part := range a.Attr.Composed.Parts {
				live[part.Path()] = true
			}
		case a.Attr != nil:
			live[a.Attr.Path()] = true
		case r.Active != nil && strings.EqualFold(a.Column, r.Active.Column):
			live["active"] = true
		}
	}
	if ch.Delete || (r.Active != nil && r.Active.Life != nil && slices.Contains(ch.Changed, "active")) {
		live["active"] = true
	}
	ch.Related = r.dropUnchangedRelated(ch.Related, row, live)
	ch.Set, ch.Lookups = kept, nil
	changed := ch.Changed[:0:0]
	for _, c := range ch.Changed {
		if live[c] {
			changed = append(changed, c)
		}
	}
	diff := ch.Diff[:0:0]
	for _, d := range ch.Diff {
		if live[d.Attribute] {
			diff = append(diff, d)
		}
	}
	ch.Changed, ch.Diff = changed, diff
}

// holds reports whether the row's column already holds what a writes, as
// the column would store it. Anything it cannot tell is a change.
func (r *Resource) holds(row Row, a Assignment) bool {
	i, ok := r.colIndex[strings.ToLower(a.Column)]
	if a.SQL != "" || !ok || i >= len(row) {
		return false
	}
	return sameStored(r.column(a.Column), a.Value, row[i])
}

// sameStored reports whether cur, read from col, is what writing v to col
// would store.
func sameStored(col *Column, v, cur any) bool {
	if v == nil || cur == nil {
		return v == nil && cur == nil
	}
	switch col.kind() {
	case kindTemporal:
		t, ok := v.(time.Time)
		stored, ok2 := timeOf(cur)
		if !ok || !ok2 {
			return false
		}
		switch col.DataType {
		case "date":
			return t.UTC().Format(time.DateOnly) == stored.UTC().Format(time.DateOnly)
		case "datetime", "timestamp":
			return t.Round(fractionOf(col)).Equal(stored)
		}
		return false
	case kindDecimal:
		want, ok := new(big.Rat).SetString(textValue(v))
		have, ok2 := new(big.Rat).SetString(textValue(cur))
		return ok && ok2 && want.Cmp(have) == 0
	case kindBinary:
		return bytes.Equal([]byte(textValue(v)), []byte(textValue(cur)))
	}
	s, ok := textOf(v)
	stored, ok2 := textOf(cur)
	return ok && ok2 && s == stored
}

// textValue is a value as text, "" for NULL.
func textValue(v any) string {
	s, _ := textOf(v)
	return s
}

// fractionOf is the precision a DATETIME(n) or TIMESTAMP(n) column keeps;
// MySQL and MariaDB round to it.
func fractionOf(col *Column) time.Duration {
	fsp := 0
	if i := strings.IndexByte(col.ColumnType, '('); i >= 0 {
		fsp, _ = strconv.Atoi(strings.TrimSuffix(col.ColumnType[i+1:], ")"))
	}
	d := time.Second
	for ; fsp > 0; fsp-- {
		d /= 10
	}
	return d
}
