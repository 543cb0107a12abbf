package mapping

import (
	"strings"

	"github.com/retroscim/retroscim/mapping/filter"
)

// Projection is the attributes / excludedAttributes selection of RFC 7644
// §3.4.2.5 applied to rendered resources. The zero value keeps everything.
type Projection struct {
	include *pathTree
	exclude *pathTree
}

// pathTree holds requested attribute paths as object member names, lower
// case: name.givenName is [name givenName]; an extension attribute is
// [urn department]; a whole extension is [urn].
type pathTree struct {
	whole    bool
	children map[string]*pathTree
}

func (t *pathTree) add(names []string) {
	n := t
	for _, name := range names {
		if n.whole {
			return
		}
		if n.children == nil {
			n.children = map[string]*pathTree{}
		}
		c := n.children[strings.ToLower(name)]
		if c == nil {
			c = &pathTree{}
			n.children[strings.ToLower(name)] = c
		}
		n = c
	}
	n.whole = true
	n.children = nil
}

// alwaysReturned are never removed by a projection (RFC 7643 §7 "always").
var alwaysReturned = map[string]bool{"schemas": true, "id": true}

// Projection parses the attributes and excludedAttributes parameters
// (comma-separated attribute paths). A malformed path is an error;
// well-formed names this mapping does not know select nothing.
// Errors are *RequestError (invalidValue).
func (r *Resource) Projection(attributes, excluded string) (Projection, error) {
	var p Projection
	var err error
	if strings.TrimSpace(attributes) != "" {
		if p.include, err = r.pathTree("attributes", attributes); err != nil {
			return Projection{}, err
		}
	}
	if strings.TrimSpace(excluded) != "" {
		if p.exclude, err = r.pathTree("excludedAttributes", excluded); err != nil {
			return Projection{}, err
		}
	}
	return p, nil
}

// IsZero reports whether the projection keeps the resource as it is
// (neither attributes= nor excludedAttributes= given), so that Apply
// would return it unchanged.
func (p Projection) IsZero() bool { return p.include == nil && p.exclude == nil }

// Includes reports whether attributes= names the top-level attribute name
// (or one of its sub-attributes), for attributes returned on request only.
func (p Projection) Includes(name string) bool {
	if p.include == nil {
		return false
	}
	return p.include.children[strings.ToLower(name)] != nil
}

// Excludes reports whether the projection drops the top-level attribute
// name, so callers can skip computing it (a group's members).
func (p Projection) Excludes(name string) bool {
	lower := strings.ToLower(name)
	if p.exclude != nil {
		if c := p.exclude.children[lower]; c != nil && c.whole {
			return true
		}
	}
	if p.include != nil {
		return p.include.children[lower] == nil
	}
	return false
}

func (r *Resource) pathTree(param, list string) (*pathTree, error) {
	t := &pathTree{}
	for _, raw := range strings.Split(list, ",") {
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		ap, err := filter.ParseAttrPath(s)
		if err != nil {
			return nil, requestErr(SCIMInvalidValue, "%s: %q is not an attribute path", param, s)
		}
		// Asking for a password is refused rather than answered with
		// nothing, so that the client learns it can never be read;
		// excludedAttributes=password is simply true and stays accepted.
		if a := r.hiddenAttr(ap); a != nil && param == "attributes" {
			return nil, requestErr(SCIMInvalidValue, "attributes: %s is write-only: it is never returned", a.Path())
		}
		t.add(r.memberNames(ap))
	}
	return t, nil
}

// memberNames turns an attribute path into the member names it selects in
// a rendered resource.
func (r *Resource) memberNames(p filter.AttrPath) []string {
	if p.URI == "" {
		return nonEmpty(p.Name, p.Sub)
	}
	if s := r.schemaByID(p.URI + ":" + p.Name); s != nil && s != r.Schema {
		return []string{s.ID} // a whole extension
	}
	if strings.EqualFold(p.URI, r.Schema.ID) {
		return nonEmpty(p.Name, p.Sub)
	}
	return nonEmpty(p.URI, p.Name, p.Sub)
}

func nonEmpty(names ...string) []string {
	out := names[:0]
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Apply returns o with the projection applied.
func (p Projection) Apply(o Object) Object {
	if p.include != nil {
		o = keep(o, p.include, true)
	}
	if p.exclude != nil {
		o = drop(o, p.exclude, true)
	}
	return o
}

func keep(o Object, t *pathTree, top bool) Object {
	var out Object
	for _, f := range o.fields {
		if top && alwaysReturned[f.name] {
			out.fields = append(out.fields, f)
			continue
		}
		c := t.children[strings.ToLower(f.name)]
		if c == nil {
			continue
		}
		if c.whole {
			out.fields = append(out.fields, f)
			continue
		}
		if _, stream := f.value.(Stream); stream {
			out.fields = append(out.fields, f) // sub-attributes of a stream are kept whole
			continue
		}
		if v, ok := mapMembers(f.value, func(o Object) Object { return keep(o, c, false) }); ok {
			out.fields = append(out.fields, field{f.name, v})
		}
	}
	return out
}

func drop(o Object, t *pathTree, top bool) Object {
	var out Object
	for _, f := range o.fields {
		c := t.children[strings.ToLower(f.name)]
		switch {
		case c == nil || (top && alwaysReturned[f.name]):
			out.fields = append(out.fields, f)
		case c.whole:
		default:
			if v, ok := mapMembers(f.value, func(o Object) Object { return drop(o, c, false) }); ok {
				out.fields = append(out.fields, field{f.name, v})
			}
		}
	}
	return out
}

// mapMembers applies f to a complex value (an Object, or each Object of a
// multi-valued attribute) and reports whether anything is left.
func mapMembers(v any, f func(Object) Object) (any, bool) {
	switch x := v.(type) {
	case Object:
		r := f(x)
		return r, r.Len() > 0
	case []Object:
		var out []Object
		for _, o := range x {
			if r := f(o); r.Len() > 0 {
				out = append(out, r)
			}
		}
		return out, len(out) > 0
	}
	return nil, false
}

// hiddenAttr returns the hidden (write-only) attribute that the path
// names, or nil.
func (r *Resource) hiddenAttr(p filter.AttrPath) *Attribute {
	def, _, err := r.lookupDef(p, 0)
	if err != nil {
		return nil
	}
	va := r.viewAttrOf(def)
	switch {
	case va == nil:
		return nil
	case va.simple != nil:
		if va.simple.Hidden() {
			return va.simple
		}
		return nil
	}
	for _, a := range va.allAttrs() {
		if p.Sub != "" && strings.EqualFold(a.Sub, p.Sub) && a.Hidden() {
			return a
		}
	}
	return nil
}
