package mapping

import (
	"net/url"
	"time"
)

// A resourceSink receives a resource's members in order as render
// produces them. objectSink builds the Object that projections, writes
// and member streams work on; jsonSink appends the JSON a plain read
// sends. Objects begun with begin or beginList that receive no member are
// dropped when they end, as an empty complex attribute or extension is
// not rendered.
type resourceSink interface {
	// schemas writes the schemas member: the core schema, then each
	// extension with a mapped attribute.
	schemas(r *Resource)
	// text writes a string member.
	text(name, s string)
	// value writes a member whose value is already a JSON value of
	// Object's kinds (bool, []Object).
	value(name string, v any)
	// column writes a column value converted to the SCIM type t, or
	// nothing when the value is unassigned (NULL, empty).
	column(name string, t AttrType, v any)
	// time writes a dateTime member.
	time(name string, t time.Time)
	// location writes meta.location: baseURL + endpoint + "/" + the
	// path-escaped id.
	location(baseURL, endpoint, id string)
	// begin opens an object member (name is ignored inside a list);
	// end closes it.
	begin(name string)
	end()
	// members is how many members the innermost open object has.
	members() int
	// beginList opens an array member of objects; endList closes it.
	beginList(name string)
	endList()
}

// objectSink builds the resource as an Object.
type objectSink struct {
	stack []objectFrame
}

type objectFrame struct {
	name string
	obj  Object
	// isList marks a frame of beginList, whose objects go into list.
	isList bool
	list   []Object
}

func newObjectSink(r *Resource) *objectSink {
	w := &objectSink{stack: make([]objectFrame, 1, 4)}
	// Sized for every member up front: growing the list one Set at a
	// time allocated it four times per resource.
	w.stack[0].obj = Object{fields: make([]field, 0, r.renderFields())}
	return w
}

// object is the resource, once render has returned.
func (w *objectSink) object() Object { return w.stack[0].obj }

func (w *objectSink) set(name string, v any) {
	w.stack[len(w.stack)-1].obj.Set(name, v)
}

func (w *objectSink) schemas(r *Resource) {
	ids := make([]string, 0, 1+len(r.Extensions))
	ids = append(ids, r.Schema.ID)
	for _, e := range r.Extensions {
		ids = append(ids, e.ID)
	}
	w.set("schemas", ids)
}

func (w *objectSink) text(name, s string)      { w.set(name, s) }
func (w *objectSink) value(name string, v any) { w.set(name, v) }

func (w *objectSink) column(name string, t AttrType, v any) {
	if x, ok := scimValue(t, v); ok {
		w.set(name, x)
	}
}

func (w *objectSink) time(name string, t time.Time) { w.set(name, formatTime(t)) }

func (w *objectSink) location(baseURL, endpoint, id string) {
	w.set("location", baseURL+endpoint+"/"+url.PathEscape(id))
}

func (w *objectSink) begin(name string) { w.stack = append(w.stack, objectFrame{name: name}) }

func (w *objectSink) end() {
	f := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	if f.obj.Len() == 0 {
		return
	}
	parent := &w.stack[len(w.stack)-1]
	if parent.isList {
		parent.list = append(parent.list, f.obj)
		return
	}
	parent.obj.Set(f.name, f.obj)
}

func (w *objectSink) members() int { return w.stack[len(w.stack)-1].obj.Len() }

func (w *objectSink) beginList(name string) {
	w.stack = append(w.stack, objectFrame{name: name, isList: true})
}

func (w *objectSink) endList() {
	f := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	if len(f.list) > 0 {
		w.set(f.name, f.list)
	}
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
