package adapter

// The read path of users and groups: list and get.

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// listParams are the query parameters of a list request (RFC 7644 §3.4.2).
type listParams struct {
	mapping.ListRequest
	startIndex int // 1-based
	count      int
}

// maxStartIndex keeps offsets within what the database accepts; a list
// this long does not exist.
const maxStartIndex = 1 << 40

func (s *Server) parseListParams(c echo.Context, r *mapping.Resource) (listParams, error) {
	q := listQuery(c)
	p := listParams{ListRequest: mapping.ListRequest{Filter: q[qFilter], SortBy: q[qSortBy]}, startIndex: 1, count: s.conf(c).Pagination.DefaultCount}
	if v := q[qStartIndex]; v != "" {
		n, err := parseCount(v, maxStartIndex)
		if err != nil {
			return p, errorf(http.StatusBadRequest, mapping.SCIMInvalidValue, "startIndex must be an integer, got %q", truncate(v, 40))
		}
		// RFC 7644 §3.4.2.4: a value less than 1 is interpreted as 1.
		p.startIndex = max(n, 1)
	}
	if v := q[qCount]; v != "" {
		n, err := parseCount(v, s.conf(c).Pagination.MaxCount)
		if err != nil {
			return p, errorf(http.StatusBadRequest, mapping.SCIMInvalidValue, "count must be an integer, got %q", truncate(v, 40))
		}
		// Negative counts are 0; counts above the maximum get the maximum.
		p.count = min(max(n, 0), s.conf(c).Pagination.MaxCount)
	}
	switch strings.ToLower(q[qSortOrder]) {
	case "", "ascending":
	case "descending":
		p.Descending = true
	default:
		return p, errorf(http.StatusBadRequest, mapping.SCIMInvalidValue, "sortOrder must be ascending or descending, got %q", truncate(q[qSortOrder], 40))
	}
	proj, err := r.Projection(q[qAttributes], q[qExcludedAttributes])
	if err != nil {
		return p, err
	}
	p.Projection = proj
	return p, nil
}

// parseCount parses a non-negative or negative integer parameter; values
// beyond limit (however many digits) are limit.
func parseCount(v string, limit int) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		// Only here: errors.As needs ne on the heap, an allocation the
		// valid counts of every list would pay.
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			if strings.HasPrefix(strings.TrimSpace(v), "-") {
				return 0, nil
			}
			return limit, nil
		}
		return 0, err
	}
	if n > int64(limit) {
		return limit, nil
	}
	if n < math.MinInt32 {
		return 0, nil
	}
	return int(n), nil
}

// list serves GET /Users and GET /Groups: filter, sort and page through
// the rows in scope, entirely in SQL.
func (s *Server) list(c echo.Context, r *mapping.Resource) error {
	p, err := s.parseListParams(c, r)
	if err != nil {
		return err
	}
	tenant := principal(c).Tenant
	q, err := r.ListQuery(p.ListRequest, tenant)
	if err != nil {
		return err
	}
	page, err := s.store.List(c.Request().Context(), legacy.ListQuery{Select: q, Offset: p.startIndex - 1, Limit: p.count, Partition: tenant})
	if err != nil {
		return err
	}
	if s.plain(c, r, p.Projection) {
		base := s.baseURL(c)
		buf := takeBody()
		defer buf.release()
		buf.b = appendListHead(buf.b, page.Total, p.startIndex, len(page.Rows))
		for i, row := range page.Rows {
			if i > 0 {
				buf.b = append(buf.b, ',')
			}
			buf.b = r.AppendResource(buf.b, row, base, r.Version(row))
		}
		buf.b = append(buf.b, "]}"...)
		return sendJSON(c, http.StatusOK, buf.b)
	}
	resources := make([]mapping.Object, len(page.Rows))
	rd := s.rendering(c)
	for i, row := range page.Rows {
		resources[i] = p.Projection.Apply(rd.render(r, row, p.Projection))
	}
	return s.respond(c, http.StatusOK, listResponse(page.Total, p.startIndex, len(resources), resources))
}

// plain reports whether a read of r with proj is sent straight from its
// rows (mapping.Resource.AppendResource, the same bytes as rendering and
// encoding them): nothing to project, no member stream to insert.
func (s *Server) plain(c echo.Context, r *mapping.Resource, proj mapping.Projection) bool {
	conf := s.conf(c)
	return proj.IsZero() && (r != conf.Groups || conf.Members == nil)
}

// rendering is what turning one request's rows into resources needs,
// worked out once per request rather than once per row: the base URL, and
// for groups the per-request value their member streams read.
type rendering struct {
	s    *Server
	c    echo.Context
	base string
	rq   *scimRequest // made on the first group that streams members
}

func (s *Server) rendering(c echo.Context) *rendering {
	return &rendering{s: s, c: c, base: s.baseURL(c)}
}

// render turns a row into its resource; a group's members are streamed
// from the membership when the projection keeps them.
func (rd *rendering) render(r *mapping.Resource, row mapping.Row, proj mapping.Projection) mapping.Object {
	res := r.Render(row, rd.base)
	if conf := rd.s.conf(rd.c); r == conf.Groups && conf.Members != nil && !proj.Excludes("members") {
		if rd.rq == nil {
			rd.rq = rd.s.request(rd.c)
		}
		res.InsertBefore("meta", "members", rd.s.membersStream(rd.rq, row[0]))
	}
	return res
}

// listResponse is a ListResponse of n resources (a plain page of users
// is appended without it: appendListHead).
func listResponse(total, startIndex, n int, resources []mapping.Object) mapping.Object {
	var o mapping.Object
	o.Grow(5)
	o.Set("schemas", []string{mapping.ListResponseSchema})
	o.Set("totalResults", total)
	o.Set("startIndex", startIndex)
	o.Set("itemsPerPage", n)
	if resources == nil {
		o.Set("Resources", []mapping.Object{})
	} else {
		o.Set("Resources", resources)
	}
	return o
}

// appendListHead appends a ListResponse of n resources up to the first
// resource: the bytes listResponse(total, startIndex, n, …) encodes to
// before its Resources, the array opened. The resources follow, comma
// separated, and "]}" ends it. A plain page is appended this way in one
// buffer: building the response as an Object and encoding it copied the
// page once more and cost an allocation per member.
func appendListHead(b []byte, total, startIndex, n int) []byte {
	b = append(b, `{"schemas":["`+mapping.ListResponseSchema+`"],"totalResults":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"startIndex":`...)
	b = strconv.AppendInt(b, int64(startIndex), 10)
	b = append(b, `,"itemsPerPage":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, `,"Resources":[`...)
}

// get serves GET /Users/{id} and GET /Groups/{id}. A row outside the
// scope (a local admin account, another tenant's user) is
// indistinguishable from a missing one.
func (s *Server) get(c echo.Context, r *mapping.Resource) error {
	id := pathParam(c, "id")
	q := listQuery(c) // of the list parameters, a GET reads the projection's two
	proj, err := r.Projection(q[qAttributes], q[qExcludedAttributes])
	if err != nil {
		return err
	}
	row, err := s.readRow(c, r, id, proj)
	if err != nil {
		return err
	}
	version := r.Version(row)
	c.Response().Header()["Etag"] = []string{version} // Set("ETag"), canonical key
	if match := firstHeader(c.Request().Header, "If-None-Match"); match != "" && etagMatches(match, version) && r != s.conf(c).Groups {
		return c.NoContent(http.StatusNotModified)
	}
	if s.plain(c, r, proj) {
		buf := takeBody()
		defer buf.release()
		buf.b = r.AppendResource(buf.b, row, s.baseURL(c), version)
		return sendJSON(c, http.StatusOK, buf.b)
	}
	return s.respond(c, http.StatusOK, proj.Apply(s.rendering(c).render(r, row, proj)))
}

// readRow reads the row with SCIM id id inside the caller's scope, with
// what the projection asks for.
func (s *Server) readRow(c echo.Context, r *mapping.Resource, id string, proj mapping.Projection) (mapping.Row, error) {
	t, ok := r.Target(id, principal(c).Tenant)
	if !ok {
		return nil, notFound(r, id)
	}
	row, err := s.store.Get(c.Request().Context(), t.Read(proj))
	if errors.Is(err, legacy.ErrNotFound) {
		return nil, notFound(r, id)
	}
	return row, err
}

func notFound(r *mapping.Resource, id string) error {
	return &Error{Status: http.StatusNotFound, Detail: r.Type + " " + strconv.Quote(truncate(id, 100)) + " not found"}
}

// etagMatches implements the weak comparison of If-Match/If-None-Match
// (RFC 9110 §8.8.3.2): "*" matches; otherwise any listed tag whose opaque
// part equals ours, with or without W/.
func etagMatches(header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}
