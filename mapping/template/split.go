package template

import "strings"

// Split cuts a stored value into the parts' values, one per part in order,
// by the documented rule: Lead and Trail are taken off, then left to
// right each part ends at the first occurrence of the next part's Sep; the
// part that finds no Sep takes the rest and the parts after it are empty.
// For "{name.givenName} {name.familyName}" this is what SQL reads as
// SUBSTRING_INDEX(col, ' ', 1) and the text after the first LOCATE(' ',
// col).
//
// ambiguous reports that the value cannot be rebuilt from the split: it
// lacks the template's Lead or Trail, or Render of the split is not the
// value (" Smith", "Alice "), or another cut of the value into the same
// parts renders it too — the value has more separators than the template,
// as "Mary Ann Smith" and "Jan van der Berg" have. A
// caller that changes some parts and keeps the others must refuse an
// ambiguous value rather than rewrite it.
func (t *Template) Split(v string) (values []string, ambiguous bool) {
	values = make([]string, len(t.Parts))
	body, fits := v, true
	if strings.HasPrefix(body, t.Lead) {
		body = body[len(t.Lead):]
	} else {
		fits = false
	}
	if strings.HasSuffix(body, t.Trail) {
		body = body[:len(body)-len(t.Trail)]
	} else {
		fits = false
	}
	rest := body
	for i := range t.Parts {
		if i == len(t.Parts)-1 {
			values[i] = rest
			break
		}
		sep := t.Parts[i+1].Sep
		k := strings.Index(rest, sep)
		if k < 0 {
			values[i] = rest
			break
		}
		values[i], rest = rest[:k], rest[k+len(sep):]
	}
	if !fits || t.Render(values) != v {
		return values, true
	}
	return values, t.cuts(body, values) > 1
}

// cuts counts, up to 2, the ways body can be cut into non-empty pieces
// for the non-empty values, each piece after the first preceded by its
// part's Sep: the cuts that render the same value as values do.
func (t *Template) cuts(body string, values []string) int {
	var seps []string // the Sep before each non-empty value but the first
	first := true
	for i, v := range values {
		if v == "" {
			continue
		}
		if !first {
			seps = append(seps, t.Parts[i].Sep)
		}
		first = false
	}
	if first {
		return 1 // nothing to cut: the value is empty
	}
	n := len(body)
	// ways[p]: cuts of body[p:] into the pieces still to come, saturated at 2.
	// The last piece is body[p:] itself and must not be empty.
	ways := make([]uint8, n+2)
	for p := 0; p < n; p++ {
		ways[p] = 1
	}
	next := make([]uint8, n+2)
	for j := len(seps) - 1; j >= 0; j-- {
		sep := seps[j]
		// suffix[e]: cuts where the piece before sep ends at some e' >= e.
		var suffix uint8
		for p := n; p >= 0; p-- {
			// next[p]: a piece starts at p, so sep starts at e >= p+1.
			next[p] = suffix
			if p >= 1 && p+len(sep) <= n && strings.HasPrefix(body[p:], sep) {
				suffix = min(2, suffix+ways[p+len(sep)])
			}
		}
		next[n+1] = 0
		ways, next = next, ways
	}
	return int(ways[0])
}
