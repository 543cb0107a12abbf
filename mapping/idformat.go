package mapping

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// IDFormat is how POST generates the id of a new row whose id column is
// text and not AUTO_INCREMENT (users.id or groups.id: { column, generate }).
type IDFormat string

// The id formats. Each is 128 random bits (an RFC 4122 version 4 UUID)
// written in lower-case ASCII letters, digits and hyphens, which every
// character set holds, so that the column's type and length decide
// whether it fits.
const (
	// IDUUID is the RFC 4122 text form, 36 characters; the default.
	IDUUID IDFormat = "uuid"
	// IDUUIDHex is the same 128 bits as 32 lower-case hexadecimal digits.
	IDUUIDHex IDFormat = "uuid_hex"
	// IDMattermost is Mattermost's model.NewId: the UUID's 16 bytes in
	// base32 with the alphabet ybndrfg8ejkmcpqxot1uwisza345h769 and no
	// padding, 26 characters (server/public/model/utils.go).
	IDMattermost IDFormat = "mattermost"
)

var idFormats = []IDFormat{IDUUID, IDUUIDHex, IDMattermost}

// mattermostEncoding is the base32 alphabet of Mattermost's model.NewId.
var mattermostEncoding = base32.NewEncoding("ybndrfg8ejkmcpqxot1uwisza345h769").WithPadding(base32.NoPadding)

// Len is the number of characters of an id in the format.
func (f IDFormat) Len() int {
	switch f {
	case IDUUIDHex:
		return 32
	case IDMattermost:
		return 26
	}
	return 36
}

// New returns a new random id in the format.
func (f IDFormat) New() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	switch f {
	case IDUUIDHex:
		return hex.EncodeToString(b[:])
	case IDMattermost:
		return mattermostEncoding.EncodeToString(b[:])
	}
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// idFormat is the format POST generates ids in: the mapping's, or uuid.
func (r *Resource) idFormat() IDFormat {
	if r.IDGenerate == "" {
		return IDUUID
	}
	return r.IDGenerate
}

// compileID reads the id entry of a section: a column name, or
// { column, generate, copy_to }.
func (r *Resource) compileID(n *yaml.Node, p *problems) {
	v := valueOf(n, "id")
	line, key := lineOf(n, "id"), r.key+".id"
	switch {
	case v == nil || v.Kind == 0:
		r.IDColumn = "id"
	case v.Kind == yaml.ScalarNode:
		r.IDColumn = v.Value
		r.idLine = line
		r.checkIdent(v.Value, n, "id", p, false)
	default:
		before := len(p.list)
		var spec IDSpec
		decodeStrict(v, key, &spec, p)
		if len(p.list) > before {
			return
		}
		if !isIdent(spec.Column) {
			p.add(line, key+".column", "%q is not a valid column name: name the primary key column (letters, digits, _ and $)", spec.Column)
			return
		}
		r.IDColumn = spec.Column
		if spec.Generate != "" {
			f := IDFormat(spec.Generate)
			if !knownIDFormat(f) {
				p.add(lineOf(v, "generate"), key+".generate", "%q is not an id format: use uuid (36 characters), uuid_hex (32) or mattermost (26, Mattermost's model.NewId)", spec.Generate)
				return
			}
			r.IDGenerate = f
		}
		for _, c := range spec.CopyTo {
			if !isIdent(c) {
				p.add(lineOf(v, "copy_to"), key+".copy_to", "%q is not a valid column name", c)
				continue
			}
			if strings.EqualFold(c, spec.Column) {
				p.add(lineOf(v, "copy_to"), key+".copy_to", "%s is the id column itself; copy_to names other columns that get the same id", c)
				continue
			}
			r.IDCopyTo = append(r.IDCopyTo, c)
			r.ref(c, lineOf(v, "copy_to"), key+".copy_to")
		}
		r.idLine = line
	}
	r.ref(r.IDColumn, line, key)
}

func knownIDFormat(f IDFormat) bool {
	for _, k := range idFormats {
		if f == k {
			return true
		}
	}
	return false
}

// checkIDFormat, once columns are known and POST may create rows,
// compares the length of the ids POST generates with the id column and
// the copy_to columns: a varchar(26) refuses a 36-character UUID (or,
// without strict mode, cuts it), so the mapping is refused with the
// formats that fit.
func (r *Resource) checkIDFormat(p *problems) {
	id := r.column(r.IDColumn)
	key := r.key + ".id"
	line := r.idLine
	if line == 0 {
		line = r.createLine
	}
	if id.AutoIncrement {
		if r.IDGenerate != "" || len(r.IDCopyTo) > 0 {
			p.add(line, key+".generate", "%s is AUTO_INCREMENT: the database allocates its ids, so generate and copy_to do not apply; remove them", r.IDColumn)
		}
		return
	}
	if id.kind() != kindText {
		return // checkCreatable refuses it
	}
	f := r.idFormat()
	for _, c := range append([]string{r.IDColumn}, r.IDCopyTo...) {
		col := r.column(c)
		if col.Name == "" {
			continue // reported as a missing column
		}
		if col.kind() != kindText {
			p.add(line, key+".copy_to", "%s is %s: copy_to writes the generated id, which needs a text column", c, col.ColumnType)
			continue
		}
		switch col.DataType {
		case "enum", "set", "json":
			// Text by kind, but holding only their own values: an id is
			// none of an enum's words, nor a JSON document.
			p.add(line, key+".generate", "%s is %s, which cannot hold a generated %s id; use a char or varchar column, or keep create: deny", c, col.ColumnType, f)
			continue
		}
		if col.MaxChars > 0 && col.MaxChars < int64(f.Len()) {
			p.add(line, key+".generate", "%s is %s, but the %s ids POST generates are %d characters; %s", c, col.ColumnType, f, f.Len(), fitting(r.IDColumn, col.MaxChars))
		}
	}
	for _, c := range r.IDCopyTo {
		for _, w := range r.insertedColumns() {
			if strings.EqualFold(c, w) {
				p.add(line, key+".copy_to", "%s is also written by the mapping (an attribute, a default or the scope); copy_to names a column only the generated id fills", c)
			}
		}
	}
}

// fitting says which id formats fit a text column of n characters.
func fitting(idCol string, n int64) string {
	var fit []string
	for _, f := range idFormats {
		if int64(f.Len()) <= n {
			fit = append(fit, fmt.Sprintf("id: { column: %s, generate: %s } (%d characters)", idCol, f, f.Len()))
		}
	}
	if len(fit) == 0 {
		return fmt.Sprintf("no id format fits %d characters: widen the column or keep create: deny", n)
	}
	return "write " + strings.Join(fit, " or ") + ", or widen the column"
}
