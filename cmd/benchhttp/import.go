package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// importRun is one sequential import: one connection reading count=100
// pages one after the other, as Okta's import does.
type importRun struct {
	pages   []time.Duration // each page's latency, in order
	rows    int
	total   time.Duration
	cpu     time.Duration
	peakRSS int64
}

// runImport reads up to maxPages pages (0: until the last page) from s.
func runImport(ctx context.Context, s *server, maxPages int) (importRun, error) {
	var r importRun
	before, err := s.cpuTime()
	if err != nil {
		return r, err
	}
	pages := scenario{name: "pages"}
	var w walker
	start := time.Now()
	for maxPages == 0 || len(r.pages) < maxPages {
		u := w.request(s, pages, nil, nil)
		t0 := time.Now()
		body, err := fetch(ctx, s, u)
		if err != nil {
			return r, fmt.Errorf("%s, page %d: %w", s.name, len(r.pages)+1, err)
		}
		n, err := w.advance(s, pages, body)
		if err != nil {
			return r, fmt.Errorf("%s, page %d: %w", s.name, len(r.pages)+1, err)
		}
		r.pages = append(r.pages, time.Since(t0))
		r.rows += n
		if n < pageSize {
			break
		}
	}
	r.total = time.Since(start)
	after, err := s.cpuTime()
	if err != nil {
		return r, err
	}
	r.cpu = after - before
	if r.peakRSS, err = s.peakRSS(); err != nil {
		return r, err
	}
	return r, nil
}

// window summarises n pages: the first n (from the start) or the last n.
type window struct{ mean, median time.Duration }

func (r importRun) window(n int, last bool) window {
	n = min(n, len(r.pages))
	if n == 0 {
		return window{}
	}
	w := r.pages[:n]
	if last {
		w = r.pages[len(r.pages)-n:]
	}
	var sum time.Duration
	for _, p := range w {
		sum += p
	}
	sorted := slices.Sorted(slices.Values(w))
	return window{mean: sum / time.Duration(n), median: sorted[n/2]}
}

// maxPage is the slowest page and its number (1-based).
func (r importRun) maxPage() (time.Duration, int) { return r.maxPageAfter(0) }

// maxPageAfter is the slowest page after the first skip and its number
// (1-based): page 1 of a freshly started server is the one that counts
// the list, so the report shows it apart from the pages after it.
func (r importRun) maxPageAfter(skip int) (time.Duration, int) {
	if len(r.pages) <= skip {
		return 0, 0
	}
	i := skip
	for j := skip; j < len(r.pages); j++ {
		if r.pages[j] > r.pages[i] {
			i = j
		}
	}
	return r.pages[i], i + 1
}

// page is the latency of page n (1-based), 0 when there was none.
func (r importRun) page(n int) time.Duration {
	if n < 1 || n > len(r.pages) {
		return 0
	}
	return r.pages[n-1]
}

func (r importRun) median() time.Duration {
	if len(r.pages) == 0 {
		return 0
	}
	return slices.Sorted(slices.Values(r.pages))[len(r.pages)/2]
}

func (r importRun) slowerThan(d time.Duration) int {
	n := 0
	for _, p := range r.pages {
		if p > d {
			n++
		}
	}
	return n
}
