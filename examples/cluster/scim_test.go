package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// patchOp is the schema of a SCIM PATCH body.
const patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// reply is one SCIM request as the client saw it.
type reply struct {
	method, url string
	status      int // 0 when the request failed before an answer
	body        []byte
	servedBy    string // the replica, as HAProxy's X-Served-By names it
	retryAfter  string
	start       time.Time
	took        time.Duration
	err         error
}

func (r reply) ok() bool { return r.err == nil && r.status >= 200 && r.status < 300 }

func (r reply) String() string {
	if r.err != nil {
		return fmt.Sprintf("%s %s: %v (after %s)", r.method, r.url, r.err, r.took.Round(time.Millisecond))
	}
	body := string(r.body)
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return fmt.Sprintf("%s %s = %d via %s after %s: %s", r.method, r.url, r.status, r.servedBy, r.took.Round(time.Millisecond), body)
}

// scimBase is the SCIM base URL through HAProxy's scim frontend.
func (c *cluster) scimBase() string { return "http://" + c.ha.params.SCIM + "/scim/v2" }

// do sends one SCIM request as Okta does: bearer token, Accept
// application/scim+json, a JSON body.
func (c *cluster) do(ctx context.Context, method, url, token, body string) reply {
	r := reply{method: method, url: url, start: time.Now()}
	defer func() { r.took = time.Since(r.start) }()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		r.err = err
		return r
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/scim+json")
	req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		r.err = err
		r.took = time.Since(r.start)
		return r
	}
	defer resp.Body.Close()
	r.status, r.servedBy, r.retryAfter = resp.StatusCode, resp.Header.Get("X-Served-By"), resp.Header.Get("Retry-After")
	r.body, r.err = io.ReadAll(resp.Body)
	r.took = time.Since(r.start)
	return r
}

// must fails the test unless the request got status.
func (r reply) must(t *testing.T, status int) reply {
	t.Helper()
	if r.err != nil || r.status != status {
		t.Fatalf("want %d: %s", status, r)
	}
	return r
}

// object decodes the reply's JSON object.
func (r reply) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not a JSON object: %s", r)
	}
	return m
}

// listPage is one page of a SCIM list response.
type listPage struct {
	TotalResults int `json:"totalResults"`
	StartIndex   int `json:"startIndex"`
	ItemsPerPage int `json:"itemsPerPage"`
	Resources    []struct {
		ID       string `json:"id"`
		UserName string `json:"userName"`
	} `json:"Resources"`
}

var metricLine = regexp.MustCompile(`^(\w+)\{([^}]*)\} (\S+)$`)

// metric sums a Prometheus counter over the replicas' /metrics, counting
// the series whose labels include every one of labels (`op="tx"`).
func (c *cluster) metric(ctx context.Context, name string, labels ...string) (float64, error) {
	var sum float64
	for _, r := range c.replicas {
		if !r.proc.running() {
			continue
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.admin()+"/metrics", nil)
		resp, err := c.http.Do(req)
		if err != nil {
			return 0, err
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			m := metricLine.FindStringSubmatch(sc.Text())
			if m == nil || m[1] != name {
				continue
			}
			match := true
			for _, l := range labels {
				if !strings.Contains(","+m[2]+",", ","+l+",") {
					match = false
				}
			}
			if match {
				v, _ := strconv.ParseFloat(m[3], 64)
				sum += v
			}
		}
		resp.Body.Close()
		if err := sc.Err(); err != nil {
			return 0, err
		}
	}
	return sum, nil
}

// scimError reports whether a failed reply is what a SCIM client can act
// on: a SCIM error body with the status, and Retry-After on a 503.
func (r reply) scimError() bool {
	var e struct {
		Schemas []string `json:"schemas"`
		Status  string   `json:"status"`
	}
	if r.err != nil || json.Unmarshal(r.body, &e) != nil {
		return false
	}
	return len(e.Schemas) == 1 && e.Schemas[0] == "urn:ietf:params:scim:api:messages:2.0:Error" &&
		e.Status == strconv.Itoa(r.status) && (r.status != http.StatusServiceUnavailable || r.retryAfter != "")
}
