package mapping

import (
	"net/url"
	"strconv"
	"time"
	"unsafe"
)

// jsonSink appends a resource's JSON as render produces it, with no
// Object in between: a read of one user costs a buffer, not a tree of
// members. The output is byte for byte what Object.AppendJSON writes of
// the objectSink's resource (TestAppendResourceMatchesRender).
type jsonSink struct {
	b []byte
	// frames are the open objects and arrays, frames[0] the resource.
	// SCIM nests at most an extension, a complex or multi-valued
	// attribute and one of its entries below it, so depth stays below
	// len(frames).
	frames [6]jsonFrame
	depth  int
	// scratch holds meta.location while it is escaped.
	scratch [256]byte
}

type jsonFrame struct {
	// start is where the member that opened the frame began, so that an
	// object or array that stays empty is cut off again; parentN is the
	// parent's member count before it.
	start, parentN int
	n              int // members written
	list           bool
}

// open begins the resource's object.
func (w *jsonSink) open() {
	w.frames[0] = jsonFrame{start: len(w.b)}
	w.b = append(w.b, '{')
}

func (w *jsonSink) finish() []byte { return append(w.b, '}') }

// key writes the separator and, outside an array, the member name.
func (w *jsonSink) key(name string) {
	f := &w.frames[w.depth]
	if f.n > 0 {
		w.b = append(w.b, ',')
	}
	f.n++
	if !f.list {
		w.b = AppendJSONString(w.b, name)
		w.b = append(w.b, ':')
	}
}

// mark and cut undo a member that turned out to have no value.
func (w *jsonSink) mark() (int, int) { return len(w.b), w.frames[w.depth].n }

func (w *jsonSink) cut(at, n int) {
	w.b = w.b[:at]
	w.frames[w.depth].n = n
}

func (w *jsonSink) schemas(r *Resource) {
	w.key("schemas")
	w.b = append(w.b, '[')
	w.b = AppendJSONString(w.b, r.Schema.ID)
	for _, e := range r.Extensions {
		w.b = append(w.b, ',')
		w.b = AppendJSONString(w.b, e.ID)
	}
	w.b = append(w.b, ']')
}

func (w *jsonSink) text(name, s string) {
	w.key(name)
	w.b = AppendJSONString(w.b, s)
}

func (w *jsonSink) value(name string, v any) {
	at, n := w.mark()
	w.key(name)
	b, err := appendValue(w.b, v)
	if err != nil {
		w.cut(at, n)
		return
	}
	w.b = b
}

func (w *jsonSink) column(name string, t AttrType, v any) {
	at, n := w.mark()
	w.key(name)
	var ok bool
	if w.b, ok = appendSCIMValue(w.b, t, v); !ok {
		w.cut(at, n)
	}
}

func (w *jsonSink) time(name string, t time.Time) {
	w.key(name)
	w.b = appendTime(w.b, t)
}

func (w *jsonSink) location(baseURL, endpoint, id string) {
	w.key("location")
	s := append(w.scratch[:0], baseURL...)
	s = append(s, endpoint...)
	s = append(s, '/')
	s = append(s, url.PathEscape(id)...)
	w.b = AppendJSONString(w.b, unsafe.String(unsafe.SliceData(s), len(s)))
}

func (w *jsonSink) begin(name string) { w.push(name, '{', false) }
func (w *jsonSink) end()              { w.pop('}') }

func (w *jsonSink) beginList(name string) { w.push(name, '[', true) }
func (w *jsonSink) endList()              { w.pop(']') }

func (w *jsonSink) members() int { return w.frames[w.depth].n }

func (w *jsonSink) push(name string, c byte, list bool) {
	at, n := w.mark()
	w.key(name)
	w.b = append(w.b, c)
	w.depth++
	w.frames[w.depth] = jsonFrame{start: at, parentN: n, list: list}
}

func (w *jsonSink) pop(c byte) {
	f := w.frames[w.depth]
	w.depth--
	if f.n == 0 {
		w.cut(f.start, f.parentN)
		return
	}
	w.b = append(w.b, c)
}

// appendSCIMValue appends the JSON of scimValue(t, v), false (and b as
// it was) when the value is unassigned. Strings, the common case, are
// escaped straight from the driver's bytes.
func appendSCIMValue(b []byte, t AttrType, v any) ([]byte, bool) {
	switch t {
	case TypeDateTime:
		tm, ok := timeOf(v)
		if !ok {
			return b, false
		}
		return appendTime(b, tm), true
	case TypeBoolean, TypeInteger, TypeDecimal, TypeBinary:
		x, ok := scimValue(t, v)
		if !ok {
			return b, false
		}
		out, err := appendValue(b, x)
		if err != nil {
			return b, false
		}
		return out, true
	}
	switch x := v.(type) {
	case []byte:
		if len(x) == 0 {
			return b, false
		}
		// A read-only view of the driver's bytes for the length of the call.
		return AppendJSONString(b, unsafe.String(unsafe.SliceData(x), len(x))), true
	case string:
		if x == "" {
			return b, false
		}
		return AppendJSONString(b, x), true
	case int64:
		b = append(b, '"')
		b = strconv.AppendInt(b, x, 10)
		return append(b, '"'), true
	}
	s, ok := textOf(v)
	if !ok || s == "" {
		return b, false
	}
	return AppendJSONString(b, s), true
}

// appendTime appends formatTime(t) as a JSON string: RFC 3339 needs no
// escaping.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339)
	return append(b, '"')
}
