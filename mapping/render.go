package mapping

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
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
	// Sized for every member up front: growing the list one Set at a
	// time allocated it four times per resource.
	o := Object{fields: make([]field, 0, r.renderFields())}
	schemas := make([]string, 0, 1+len(r.Extensions))
	schemas = append(schemas, r.Schema.ID)
	for _, e := range r.Extensions {
		schemas = append(schemas, e.ID)
	}
	o.Set("schemas", schemas)
	id := r.ID(row)
	o.Set("id", id)
	if a := r.find("", "externalId", "", ""); a != nil {
		if v, ok := scimValue(a.Def.Type, a.columnValue(row)); ok {
			o.Set("externalId", v)
		}
	}
	for i, v := range r.views {
		target := &o
		var ext Object
		if i > 0 {
			target = &ext
		}
		for _, va := range v.attrs {
			if val, ok := r.renderAttr(va, row, baseURL); ok {
				target.Set(va.def.Name, val)
			}
		}
		if i > 0 && ext.Len() > 0 {
			o.Set(v.def.ID, ext)
		}
	}
	o.Set("meta", r.renderMeta(row, id, baseURL))
	return o
}

// renderFields is how many top-level members a rendered resource can
// have: schemas, id, externalId, the core attributes, one per extension,
// meta, and room for what the server inserts (members).
func (r *Resource) renderFields() int {
	n := 5 + len(r.views)
	if len(r.views) > 0 {
		n += len(r.views[0].attrs)
	}
	return n
}

func (r *Resource) renderAttr(va *viewAttr, row Row, baseURL string) (any, bool) {
	switch {
	case va.members:
		return nil, false // streamed by the server
	case va.groups:
		if len(row) <= len(r.selectExprs) {
			return nil, false // not selected: groups are returned on request
		}
		return r.renderGroups(row[len(r.selectExprs)], baseURL)
	case va.active:
		return r.isActiveRow(row), true
	case va.simple != nil:
		if va.simple.Hidden() {
			return nil, false
		}
		return scimValue(va.simple.Def.Type, va.simple.columnValue(row))
	case len(va.subs) > 0:
		var sub Object
		for _, a := range va.subs {
			if a.Hidden() {
				continue
			}
			if v, ok := scimValue(a.Def.Type, a.columnValue(row)); ok {
				sub.Set(a.Sub, v)
			}
		}
		setManagerRef(va, &sub, baseURL)
		return sub, sub.Len() > 0
	default:
		var list []Object
		for i, e := range va.entries {
			var item Object
			for _, a := range e.subs {
				if a.Hidden() {
					continue
				}
				if v, ok := scimValue(a.Def.Type, a.columnValue(row)); ok {
					item.Set(a.Sub, v)
				}
			}
			if item.Len() == 0 {
				continue
			}
			item.Set("type", e.typ)
			if i == 0 {
				item.Set("primary", true)
			}
			list = append(list, item)
		}
		return list, len(list) > 0
	}
}

func (r *Resource) renderMeta(row Row, id, baseURL string) Object {
	m := Object{fields: make([]field, 0, 5)}
	m.Set("resourceType", r.Type)
	if r.CreatedColumn != "" {
		if t, ok := r.metaTime(row, r.CreatedColumn); ok {
			m.Set("created", formatTime(t))
		}
	}
	if lm, ok := r.lastModified(row); ok {
		m.Set("lastModified", formatTime(lm))
	}
	m.Set("location", baseURL+r.Endpoint+"/"+url.PathEscape(id))
	m.Set("version", r.Version(row))
	return m
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
		i, _ := byName(r.colIndex, r.VersionColumn)
		v := row[i]
		col := r.column(r.VersionColumn)
		if t, ok := timeOf(v); ok && strings.HasSuffix(col.ColumnType, "(6)") {
			return `W/"` + strconv.FormatInt(t.UnixMicro(), 10) + `"`
		}
		// Epoch seconds, like whole-second DATETIMEs, would give two
		// writes in one second one version.
		if s, ok := textOf(v); ok && isETagSafe(s) && col.kind() != kindTemporal && r.epochOf(r.VersionColumn) != EpochSeconds {
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
	i, _ := byName(r.colIndex, r.Active.Column)
	return r.isActive(row[i])
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
