package main

import (
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/retroscim/retroscim/mapping"
	"gopkg.in/yaml.v3"
)

func TestParseStatCPU(t *testing.T) {
	// Fields 14 and 15 (utime, stime) are 250 and 50 ticks in each line.
	tests := []struct {
		name, stat string
		want       time.Duration
		wantErr    bool
	}{
		{"plain", "4242 (retroscim) S 1 4242 4242 0 -1 4194560 3101 0 0 0 250 50 0 0 20 0 7 0 123 1000 2000", 3 * time.Second, false},
		{"name with spaces and parentheses", "77 (a (b) c) R 1 77 77 0 -1 0 0 0 0 0 250 50 0 0 20 0 1 0 1 1 1", 3 * time.Second, false},
		{"no name", "77 R 1", 0, true},
		{"short", "77 (x) R 1 2 3", 0, true},
		{"not a number", "77 (x) R 1 77 77 0 -1 0 0 0 0 0 x 50 0 0", 0, true},
	}
	for _, tt := range tests {
		got, err := parseStatCPU(tt.stat)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: parseStatCPU(%q) = %v, %v; want %v, error %v", tt.name, tt.stat, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestCPUTimeOfThisProcess(t *testing.T) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skip("no /proc")
	}
	if _, err := parseStatCPU(string(b)); err != nil {
		t.Fatalf("parseStatCPU(/proc/self/stat) = %v", err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	if rss, err := parseStatusKB(string(status), "VmHWM"); err != nil || rss <= 0 {
		t.Fatalf("parseStatusKB(/proc/self/status, VmHWM) = %d, %v", rss, err)
	}
}

func TestParseRequestTotals(t *testing.T) {
	metrics := `# HELP retroscim_http_requests_total Requests.
# TYPE retroscim_http_requests_total counter
retroscim_http_requests_total{method="GET",route="/scim/v2/Users/:id",status="200"} 1200
retroscim_http_requests_total{method="GET",route="/scim/v2/Users",status="200"} 34
retroscim_http_requests_total{method="GET",route="/scim/v2/Users",status="429"} 2
retroscim_http_request_duration_seconds_count{method="GET",route="/scim/v2/Users"} 36
`
	got := parseRequestTotals(metrics)
	if len(got) != 2 || got["200"] != 1234 || got["429"] != 2 {
		t.Errorf("parseRequestTotals = %v, want 200: 1234, 429: 2", got)
	}
}

func TestDeriveConfig(t *testing.T) {
	sample, err := os.ReadFile("../../examples/sample/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("RETROSCIM_DSN", "root@tcp(127.0.0.1:3306)/bench")
	t.Setenv("RETROSCIM_TOKEN", "a-token-long-enough-for-the-check")
	for _, m := range benchMappings {
		out, err := deriveConfig(sample, m)
		if err != nil {
			t.Fatalf("deriveConfig(%s) = %v", m.name, err)
		}
		cfg, err := mapping.Parse("config-"+m.name+".yaml", out)
		if err != nil {
			t.Fatalf("mapping %s: the derived configuration does not load: %v\n%s", m.name, err, out)
		}
		if want := (mapping.RateLimit{PerSecond: rateLimitPerSecond, Burst: rateLimitBurst}); cfg.Server.RateLimit != want {
			t.Errorf("mapping %s: rate limit %+v, want %+v", m.name, cfg.Server.RateLimit, want)
		}
		if cfg.Pagination.CountWarm != 24*time.Hour {
			t.Errorf("mapping %s: count_warm %v, want the sample's 24h", m.name, cfg.Pagination.CountWarm)
		}
		warm, err := withCountWarm(out, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if cfg, err := mapping.Parse("config-"+m.name+".yaml", warm); err != nil {
			t.Errorf("mapping %s with --count-warm 1h does not load: %v", m.name, err)
		} else if cfg.Pagination.CountWarm != time.Hour {
			t.Errorf("mapping %s with --count-warm 1h: count_warm %v", m.name, cfg.Pagination.CountWarm)
		}
		var doc struct {
			Users struct {
				Attributes yaml.Node `yaml:"attributes"`
			} `yaml:"users"`
		}
		if err := yaml.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for i := 0; i < len(doc.Users.Attributes.Content); i += 2 {
			keys = append(keys, doc.Users.Attributes.Content[i].Value)
		}
		if m.keep != nil && !slices.Equal(keys, m.keep) {
			t.Errorf("mapping %s: attributes %q, want %q", m.name, keys, m.keep)
		}
		if m.keep == nil && len(keys) != 10 {
			t.Errorf("mapping %s: %d attributes, want the sample's 10: %q", m.name, len(keys), keys)
		}
	}
	if _, err := deriveConfig(sample, benchMapping{name: "x", keep: []string{"nickName"}}); err == nil {
		t.Error("deriveConfig kept an attribute the sample does not map, want an error")
	}
}

func TestSelectColumns(t *testing.T) {
	got, err := selectColumns("SELECT `id`, `login`, `email`, `id` FROM `users` WHERE `id` = ?")
	if want := []string{"id", "login", "email"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("selectColumns = %q, %v; want %q", got, err, want)
	}
	if _, err := selectColumns("UPDATE `users` SET `x` = ?"); err == nil {
		t.Error("selectColumns(UPDATE) succeeded, want an error")
	}
}

func TestMedianSpan(t *testing.T) {
	tests := []struct {
		in         []float64
		med        float64
		spanString string
	}{
		{[]float64{3, 1, 2}, 2, "1.00–3.00"},
		{[]float64{4, 1, 3, 2}, 2.5, "1.00–4.00"},
		{[]float64{1.44}, 1.44, "1.44–1.44"},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.med {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.med)
		}
		if got := span(tt.in); got != tt.spanString {
			t.Errorf("span(%v) = %q, want %q", tt.in, got, tt.spanString)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is a number, want NaN")
	}
}

func TestThousandsShellJoin(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1000009: "1,000,009", -12345: "-12,345"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
	if got, want := shellJoin([]string{"benchhttp", "run", "--scenarios", "get lookup", "it's"}), `benchhttp run --scenarios 'get lookup' 'it'\''s'`; got != want {
		t.Errorf("shellJoin = %s, want %s", got, want)
	}
}

func TestImportWindows(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, x := range n {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	r := importRun{pages: ms(899, 2, 2, 3, 2, 20, 30, 40)}
	if w := r.window(3, false); w.mean != 301*time.Millisecond || w.median != 2*time.Millisecond {
		t.Errorf("first 3 = %+v, want mean 301ms, median 2ms", w)
	}
	if w := r.window(3, true); w.mean != 30*time.Millisecond || w.median != 30*time.Millisecond {
		t.Errorf("last 3 = %+v, want mean and median 30ms", w)
	}
	if d, at := r.maxPage(); d != 899*time.Millisecond || at != 1 {
		t.Errorf("maxPage = %v at %d, want 899ms at 1", d, at)
	}
	if d, at := r.maxPageAfter(1); d != 40*time.Millisecond || at != 8 {
		t.Errorf("maxPageAfter(1) = %v at %d, want 40ms at 8", d, at)
	}
	if d := r.page(1); d != 899*time.Millisecond {
		t.Errorf("page(1) = %v, want 899ms", d)
	}
	if n := r.slowerThan(25 * time.Millisecond); n != 3 {
		t.Errorf("slowerThan(25ms) = %d, want 3", n)
	}
}

func TestPacerSchedule(t *testing.T) {
	start := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		rate         float64
		conns, c     int
		wantInterval time.Duration
		wantFirst    time.Duration // after start
	}{
		{"closed loop", 0, 8, 3, 0, 0},
		{"first connection", 1000, 4, 0, 4 * time.Millisecond, 0},
		{"last connection", 1000, 4, 3, 4 * time.Millisecond, 3 * time.Millisecond},
		{"one connection", 250, 1, 0, 4 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPacer(start, tt.rate, tt.conns, tt.c)
			if p.interval != tt.wantInterval {
				t.Errorf("interval = %v, want %v", p.interval, tt.wantInterval)
			}
			if tt.rate > 0 && p.next.Sub(start) != tt.wantFirst {
				t.Errorf("first request at +%v, want +%v", p.next.Sub(start), tt.wantFirst)
			}
		})
	}
}

func TestPacerWait(t *testing.T) {
	now := time.Now()
	// Closed loop: always due.
	var closed pacer
	if !closed.wait(now.Add(-time.Hour)) {
		t.Error("an unpaced connection stopped")
	}
	// Due after the deadline: the run is over.
	late := pacer{interval: time.Millisecond, next: now.Add(time.Hour)}
	if late.wait(now.Add(time.Minute)) {
		t.Error("a request due after the deadline was sent")
	}
	// Far behind the pace: sent at once, and the next one a whole
	// interval later, not in a burst to catch up.
	behind := pacer{interval: time.Millisecond, next: now.Add(-time.Second)}
	if !behind.wait(now.Add(time.Hour)) {
		t.Fatal("a request behind the pace was not sent")
	}
	if !behind.next.After(now) {
		t.Errorf("next request at %v, before now: the pacer would burst to catch up", behind.next.Sub(now))
	}
}
