package adapter

import (
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// The query parameters of a list. c.QueryParams() decodes every parameter
// into a map (url.ParseQuery); a list reads seven of them, nearly always
// only filter. listQuery reads those seven from the raw query in one pass
// and decodes only their values, with the same result as
// c.QueryParams().Get for each: the first value whose key and value
// decode, keys compared after decoding.

// The list parameters (RFC 7644 §3.4.2), as indexes of listValues.
const (
	qFilter = iota
	qSortBy
	qSortOrder
	qStartIndex
	qCount
	qAttributes
	qExcludedAttributes
	nListParams
)

// listParamNames are the names of the list parameters, by index.
var listParamNames = [nListParams]string{"filter", "sortBy", "sortOrder", "startIndex", "count", "attributes", "excludedAttributes"}

// listValues holds the list parameters, by index: "" when absent.
type listValues [nListParams]string

// maxFastParams bounds the parameters listQuery reads itself: more are
// left to url.ParseQuery, which enforces its own limit on their number.
const maxFastParams = 64

// listQuery returns the list parameters of the request.
func listQuery(c echo.Context) listValues {
	v, ok := parseListValues(c.Request().URL.RawQuery)
	if !ok {
		q := c.QueryParams()
		for i, n := range listParamNames {
			v[i] = q.Get(n)
		}
	}
	return v
}

// parseListValues reads the list parameters from raw, as url.ParseQuery
// would. ok is false for a query it leaves to url.ParseQuery: one with a
// semicolon (which ParseQuery refuses pair by pair) or very many
// parameters.
func parseListValues(raw string) (v listValues, ok bool) {
	if strings.IndexByte(raw, ';') >= 0 || strings.Count(raw, "&") >= maxFastParams {
		return v, false
	}
	var seen [nListParams]bool
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		if needsUnescape(key) {
			k, err := url.QueryUnescape(key)
			if err != nil {
				continue
			}
			key = k
		}
		for i, n := range listParamNames {
			if seen[i] || key != n {
				continue
			}
			if d, err := url.QueryUnescape(value); err == nil {
				v[i], seen[i] = d, true
			}
			break
		}
	}
	return v, true
}

// needsUnescape says whether url.QueryUnescape could change s.
func needsUnescape(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '+' {
			return true
		}
	}
	return false
}
