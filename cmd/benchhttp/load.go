package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A scenario is one kind of request the driver sends.
type scenario struct {
	name  string // on the command line: --scenarios get,lookup,pages
	title string
}

var scenarios = []scenario{
	{"get", "GET /Users/{id}"},
	{"lookup", `GET /Users?filter=userName eq "…" (Okta's lookup)`},
	{"pages", "import pages: GET /Users?startIndex=…&count=100, each connection walking from the start"},
}

func findScenario(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// pageSize is the count of import pages, as Okta sends it.
const pageSize = 100

// measurement is one run: requests sent to one server for a while.
type measurement struct {
	requests int
	failures int
	failure  string // the first failure, for the report
	elapsed  time.Duration
	cpu      time.Duration   // the server's CPU during the run
	latency  []time.Duration // sorted
}

func (m measurement) cpuPerRequest() time.Duration {
	if m.requests == 0 {
		return 0
	}
	return m.cpu / time.Duration(m.requests)
}

func (m measurement) throughput() float64 {
	if m.elapsed <= 0 {
		return 0
	}
	return float64(m.requests) / m.elapsed.Seconds()
}

// percentile is the p-th percentile (0 < p < 1) of the latencies.
func (m measurement) percentile(p float64) time.Duration {
	if len(m.latency) == 0 {
		return 0
	}
	return m.latency[min(len(m.latency)-1, int(p*float64(len(m.latency))))]
}

// walker is one connection's position in an import walk: a startIndex for
// retroscim, the last id seen for the bare handler.
type walker struct {
	startIndex int
	after      string
}

// request builds the next request of sc for s.
func (w *walker) request(s *server, sc scenario, d *dataset, rng *rand.Rand) string {
	switch sc.name {
	case "get":
		return s.url + "/scim/v2/Users/" + d.ids[rng.IntN(len(d.ids))]
	case "lookup":
		// Okta's exact shape: spaces as %20, startIndex and count.
		f := url.QueryEscape(`userName eq "` + d.logins[rng.IntN(len(d.logins))] + `"`)
		return s.url + "/scim/v2/Users?filter=" + strings.ReplaceAll(f, "+", "%20") + "&startIndex=1&count=100"
	default:
		if s.retroscim {
			if w.startIndex == 0 {
				w.startIndex = 1
			}
			return s.url + "/scim/v2/Users?startIndex=" + strconv.Itoa(w.startIndex) + "&count=" + strconv.Itoa(pageSize)
		}
		u := s.url + "/scim/v2/Users?count=" + strconv.Itoa(pageSize)
		if w.after != "" {
			u += "&after=" + w.after
		}
		return u
	}
}

type pageBody struct {
	Resources []struct {
		ID json.RawMessage `json:"id"`
	} `json:"Resources"`
}

// advance checks the answer of sc and moves the walk on; a short page ends
// the walk, which starts again from the beginning.
func (w *walker) advance(s *server, sc scenario, body []byte) (rows int, err error) {
	switch sc.name {
	case "get":
		return 1, nil
	case "lookup":
		if !bytes.Contains(body, []byte(`"totalResults":1,`)) && !bytes.Contains(body, []byte(`"totalResults":1}`)) {
			return 0, fmt.Errorf("the lookup did not find exactly one user: %.300s", body)
		}
		return 1, nil
	}
	var page pageBody
	if err := json.Unmarshal(body, &page); err != nil {
		return 0, fmt.Errorf("page: %w", err)
	}
	n := len(page.Resources)
	if n < pageSize {
		*w = walker{}
		return n, nil
	}
	if s.retroscim {
		w.startIndex += n
	} else {
		w.after = strings.Trim(string(page.Resources[n-1].ID), `"`)
	}
	return n, nil
}

// fetch sends one GET and returns the body of a 200 answer.
func fetch(ctx context.Context, s *server, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Accept", "application/scim+json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %.300s", strings.TrimPrefix(u, s.url), resp.StatusCode, body)
	}
	return body, nil
}

// drive sends sc to s from conns connections for dur and measures the
// server's CPU over the run. With rate 0 each connection sends its next
// request as soon as the last one is answered; otherwise the connections
// send rate requests a second between them (see pacer).
func drive(ctx context.Context, s *server, sc scenario, d *dataset, conns int, rate float64, dur time.Duration, seed uint64) (measurement, error) {
	if err := s.alive(); err != nil {
		return measurement{}, err
	}
	before, err := s.cpuTime()
	if err != nil {
		return measurement{}, err
	}
	type result struct {
		latency  []time.Duration
		failures int
		failure  string
	}
	results := make([]result, conns)
	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	for c := range conns {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(c)))
			var w walker
			r := &results[c]
			p := newPacer(start, rate, conns, c)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if !p.wait(deadline) {
					break
				}
				u := w.request(s, sc, d, rng)
				t0 := time.Now()
				body, err := fetch(ctx, s, u)
				if err == nil {
					_, err = w.advance(s, sc, body)
				}
				r.latency = append(r.latency, time.Since(t0))
				if err != nil {
					r.failures++
					if r.failure == "" {
						r.failure = err.Error()
					}
					w = walker{}
				}
			}
		})
	}
	wg.Wait()
	m := measurement{elapsed: time.Since(start)}
	after, err := s.cpuTime()
	if err != nil {
		return measurement{}, err
	}
	m.cpu = after - before
	for _, r := range results {
		m.latency = append(m.latency, r.latency...)
		m.failures += r.failures
		if m.failure == "" {
			m.failure = r.failure
		}
	}
	m.requests = len(m.latency)
	slices.Sort(m.latency)
	if err := ctx.Err(); err != nil {
		return m, err
	}
	return m, nil
}

// A pacer spaces one connection's requests for drive's --rate: each of
// conns connections sends every conns/rate seconds, connection c offset
// by c/rate, so that together they send rate requests a second, evenly
// spread. A connection that falls behind (its server answers more slowly
// than the pace) sends at once and does not catch up in a burst: the
// achieved rate then shows that the server could not keep the pace.
type pacer struct {
	interval time.Duration // 0: not paced
	next     time.Time
}

func newPacer(start time.Time, rate float64, conns, c int) pacer {
	if rate <= 0 {
		return pacer{}
	}
	interval := time.Duration(float64(conns) / rate * float64(time.Second))
	return pacer{interval: interval, next: start.Add(interval * time.Duration(c) / time.Duration(conns))}
}

// wait sleeps until the next request is due and reports whether it is due
// before deadline.
func (p *pacer) wait(deadline time.Time) bool {
	if p.interval == 0 {
		return true
	}
	if !p.next.Before(deadline) {
		return false
	}
	now := time.Now()
	if d := p.next.Sub(now); d > 0 {
		time.Sleep(d)
	} else if -d > p.interval {
		p.next = now // behind: no burst to catch up
	}
	p.next = p.next.Add(p.interval)
	return true
}
