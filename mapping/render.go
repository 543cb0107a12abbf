package mapping

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Row is one database row as selected by SelectExprs: each value is nil,
// []byte, string, int64, uint64, float64, bool or time.Time, as the MySQL
// driver returns them.
type Row []any

// ID returns the SCIM id of a row: its primary key as text.
func (r *Resource) ID(row Row) string {
	s, _ := textOf(row[0])
	return s
}

// Render turns a row into the SCIM resource. baseURL is the absolute URL of
// the SCIM base path (https://host/scim/v2), used for meta.location.
func (r *Resource) Render(row Row, baseURL string) Object {
	w := newObjectSink(r)
	r.render(w, row, baseURL, r.Version(row))
	return w.object()
}

// AppendResource appends to b the JSON of the resource Render returns,
// byte for byte, without building it: the path of a plain read, which
// needs no projection, member stream or change to the resource. version
// is r.Version(row), which the caller has already worked out for the
// ETag.
func (r *Resource) AppendResource(b []byte, row Row, baseURL, version string) []byte {
	w := jsonSinks.Get().(*jsonSink)
	w.b, w.depth = b, 0
	w.open()
	r.render(w, row, baseURL, version)
	b = w.finish()
	w.b = nil
	jsonSinks.Put(w)
	return b
}

// jsonSinks are reused: a sink is half a kilobyte, and a list page renders
// a hundred resources.
var jsonSinks = sync.Pool{New: func() any { return new(jsonSink) }}

// render writes a row's resource to w: schemas, id, externalId, the
// attributes of each schema in schema order, meta. Render and
// AppendResource share it, so the two cannot render differently.
func (r *Resource) render(w resourceSink, row Row, baseURL, version string) {
	w.schemas(r)
	id := r.ID(row)
	w.text("id", id)
	if a := r.externalID; a != nil {
		w.column("externalId", a.Def.Type, a.columnValue(row))
	}
	for i, v := range r.views {
		if i > 0 {
			w.begin(v.def.ID) // dropped when the row leaves all of it unassigned
		}
		for _, va := range v.attrs {
			r.renderAttr(w, va, row, baseURL)
		}
		if i > 0 {
			w.end()
		}
	}
	w.begin("meta")
	w.text("resourceType", r.Type)
	if r.CreatedColumn != "" {
		if t, ok := r.metaTime(row, r.CreatedColumn); ok {
			w.time("created", t)
		}
	}
	if lm, ok := r.lastModified(row); ok {
		w.time("lastModified", lm)
	}
	w.location(baseURL, r.Endpoint, id)
	w.text("version", version)
	w.end()
}

func (r *Resource) renderAttr(w resourceSink, va *viewAttr, row Row, baseURL string) {
	name := va.def.Name
	switch {
	case va.members:
		// streamed by the server
	case va.groups:
		if len(row) <= len(r.selectExprs) {
			return // not selected: groups are returned on request
		}
		if groups, ok := r.renderGroups(row[len(r.selectExprs)], baseURL); ok {
			w.value(name, groups)
		}
	case va.active:
		w.value(name, r.isActiveRow(row))
	case va.simple != nil:
		if !va.simple.Hidden() {
			w.column(name, va.simple.Def.Type, va.simple.columnValue(row))
		}
	case len(va.subs) > 0:
		w.begin(name)
		for _, a := range va.subs {
			if !a.Hidden() {
				w.column(a.Sub, a.Def.Type, a.columnValue(row))
			}
		}
		if ref, ok := managerRef(va, row, baseURL); ok {
			w.text("$ref", ref)
		}
		w.end()
	default:
		w.beginList(name)
		for i, e := range va.entries {
			w.begin("")
			for _, a := range e.subs {
				if !a.Hidden() {
					w.column(a.Sub, a.Def.Type, a.columnValue(row))
				}
			}
			if w.members() > 0 { // an entry with nothing assigned is left out
				w.text("type", e.typ)
				if i == 0 {
					w.value("primary", true)
				}
			}
			w.end()
		}
		w.endList()
	}
}

func (r *Resource) lastModified(row Row) (time.Time, bool) {
	for _, c := range []string{r.LastModifiedColumn, r.VersionColumn} {
		if c == "" {
			continue
		}
		if t, ok := r.metaTime(row, c); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// Version returns the row's weak entity tag, W/"…". It comes from the
// version column when one is mapped, otherwise from a digest of every
// selected value, so it changes whenever anything SCIM shows changes.
//
// A date-time version column is used as is only with microseconds
// (DATETIME(6)): with whole seconds, two writes in one second would share
// a version and If-Match could not tell them apart, so the digest (which
// includes the column) is used instead.
func (r *Resource) Version(row Row) string {
	if r.VersionColumn != "" {
		vf := r.version
		if r.columns == nil {
			vf = r.versionSource() // not bound yet
		}
		v := row[vf.index]
		if t, ok := timeOf(v); ok && vf.micro {
			return `W/"` + strconv.FormatInt(t.UnixMicro(), 10) + `"`
		}
		if s, ok := textOf(v); ok && vf.text && isETagSafe(s) {
			return `W/"` + s + `"`
		}
	}
	h := sha256.New()
	for _, v := range row[:min(len(row), len(r.selectExprs))] { // not what a projection added
		s, ok := textOf(v)
		if !ok {
			h.Write([]byte{0})
			continue
		}
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	return `W/"` + hex.EncodeToString(h.Sum(nil)[:10]) + `"`
}

// versionSource is how Version reads the version column, worked out
// from the column's facts once they are bound (bind keeps it in
// Resource.version): a row's version was two map lookups and a look at
// the column's type per row.
type versionSource struct {
	index int // of the version column in a row
	// micro: a date-time with microseconds (DATETIME(6)), used as is.
	micro bool
	// text: any other column but a date-time or epoch seconds, whose
	// values are used as they are when ETag-safe. Epoch seconds, like
	// whole-second DATETIMEs, would give two writes in one second one
	// version.
	text bool
}

func (r *Resource) versionSource() versionSource {
	i, _ := r.metaColumn(r.VersionColumn)
	col := r.column(r.VersionColumn)
	return versionSource{
		index: i,
		micro: strings.HasSuffix(col.ColumnType, "(6)"),
		text:  col.kind() != kindTemporal && r.epochOf(r.VersionColumn) != EpochSeconds,
	}
}

func isETagSafe(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_' || c == ':') {
			return false
		}
	}
	return true
}

// isActiveRow reads the active flag of a row; without an active column
// every existing row is active.
func (r *Resource) isActiveRow(row Row) bool {
	if r.Active.Life != nil {
		return r.lifeActive(row)
	}
	if r.Active.Column == "" {
		return true
	}
	return r.isActive(row[r.activeIdx])
}

func (r *Resource) isActive(v any) bool {
	s, ok := textOf(v)
	if !ok {
		return false
	}
	for _, t := range r.Active.True {
		if ts, ok := textOf(t); ok && ts == s {
			return true
		}
		if b, isBool := t.(bool); isBool && ((b && s == "1") || (!b && s == "0")) {
			return true
		}
	}
	return false
}

// formatTime renders a timestamp as RFC 7643 dateTime, in UTC.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// textOf renders a driver value as text; false for NULL.
func textOf(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case []byte:
		return string(x), true
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		if x {
			return "1", true
		}
		return "0", true
	case time.Time:
		if x.IsZero() {
			return "", false
		}
		return formatTime(x), true
	default:
		return fmt.Sprint(x), true
	}
}

// timeOf reads a DATETIME/TIMESTAMP/DATE value. The zero date MySQL uses
// for "no date" counts as absent.
func timeOf(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, !x.IsZero()
	case []byte:
		return parseDBTime(string(x))
	case string:
		return parseDBTime(x)
	}
	return time.Time{}, false
}

func parseDBTime(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, !t.IsZero() && t.Year() > 0
		}
	}
	return time.Time{}, false
}

// scimValue converts a column value to the JSON value of a SCIM attribute
// of type t. Empty strings and NULL are "unassigned" and not rendered.
func scimValue(t AttrType, v any) (any, bool) {
	if v == nil {
		return nil, false
	}
	switch t {
	case TypeBoolean:
		s, _ := textOf(v)
		switch strings.ToLower(s) {
		case "1", "true", "t", "yes", "y", "on":
			return true, true
		case "", "0", "false", "f", "no", "n", "off":
			return false, s != ""
		}
		return nil, false
	case TypeInteger:
		s, _ := textOf(v)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, false
		}
		return n, true
	case TypeDecimal:
		s, _ := textOf(v)
		if !json.Valid([]byte(s)) {
			return nil, false
		}
		return json.Number(s), true
	case TypeDateTime:
		tm, ok := timeOf(v)
		if !ok {
			return nil, false
		}
		return formatTime(tm), true
	case TypeBinary:
		b, ok := v.([]byte)
		if !ok {
			s, _ := textOf(v)
			b = []byte(s)
		}
		if len(b) == 0 {
			return nil, false
		}
		return base64.StdEncoding.EncodeToString(b), true
	default:
		s, ok := textOf(v)
		if !ok || s == "" {
			return nil, false
		}
		return s, true
	}
}

// Identity is what the audit trail records of a deleted resource: its
// userName (users) or displayName (groups) before the delete.
func (r *Resource) Identity(row Row) []AttrChange {
	name := "userName"
	if r.Type == "Group" {
		name = "displayName"
	}
	a := r.find(r.Schema.ID, name, "", "")
	if a == nil {
		return []AttrChange{}
	}
	v, _ := scimValue(a.Def.Type, a.columnValue(row))
	return []AttrChange{{Attribute: name, Before: v, After: nil}}
}
