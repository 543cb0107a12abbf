package adapter

import (
	"net/url"
	"strings"
	"testing"
)

// sameAsParseQuery fails unless parseListValues gives, for every list
// parameter, what url.ParseQuery(raw).Get gives.
func sameAsParseQuery(t *testing.T, raw string) {
	t.Helper()
	v, ok := parseListValues(raw)
	if !ok {
		return // left to url.ParseQuery itself
	}
	q, _ := url.ParseQuery(raw)
	for i, n := range listParamNames {
		if v[i] != q.Get(n) {
			t.Fatalf("parseListValues(%q)[%s] = %q, url.ParseQuery: %q", raw, n, v[i], q.Get(n))
		}
	}
}

func TestParseListValues(t *testing.T) {
	tests := []string{
		"",
		"filter=userName+eq+%22user0001234%40bench.test%22",
		"filter=userName%20eq%20%22a%22&count=10&startIndex=5",
		"startIndex=1&count=100&filter=userName eq \"a\"",
		"count=1&count=2", "count=%zz&count=3", "count=%&count=4",
		"%66ilter=x", "fil%74er=x&filter=y", "filter+=x", "filter%2B=x", "f%zzilter=x&filter=z",
		"sortBy=name.familyName&sortOrder=descending",
		"attributes=userName,emails&excludedAttributes=groups",
		"&&filter=a&&", "=x&filter", "filter", "filter=", "filter=a=b", "FILTER=x", "filter=%e2%82%ac",
		"filter=%ff", "filter=a%2", "filter=a+b%2Bc",
		"unknown=%zz&filter=ok",
		"filter=a;b", "a=1;filter=x",
		strings.Repeat("x=1&", maxFastParams) + "filter=a",
	}
	for _, raw := range tests {
		sameAsParseQuery(t, raw)
	}
	if _, ok := parseListValues("filter=a;b"); ok {
		t.Error("a query with a semicolon is read without url.ParseQuery")
	}
	if _, ok := parseListValues(strings.Repeat("x=1&", maxFastParams)); ok {
		t.Error("a query of many parameters is read without url.ParseQuery")
	}
}

func FuzzParseListValues(f *testing.F) {
	for _, s := range []string{"filter=userName+eq+%22a%22", "count=%zz&count=3", "%66ilter=x&filter=y", "sortOrder=DESCENDING&sortBy=x", "a=1&&b=2="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		sameAsParseQuery(t, raw)
	})
}
