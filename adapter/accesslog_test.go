package adapter

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// TestAccessLogBatched: the batched access lines (Options.AccessLog) read
// as slog's own do, key for key, escapes included; they wait in the buffer
// until another line, a flush or Close, and never overtake a line logged
// after them.
func TestAccessLogBatched(t *testing.T) {
	load := func() *mapping.Config {
		cfg, err := mapping.LoadFile("../config.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	plain := newEnvWith(t, load(), sampleSchema(t))
	batched := newEnvOptions(t, load(), legacy.Options{}, Options{AccessLog: &LogWriter{}}, sampleSchema(t))
	// An answer that logs nothing else: its line waits in the buffer.
	batched.do(http.MethodGet, "/Users?count=1", "")
	if got := batched.logLines("request"); len(got) != 0 {
		t.Fatalf("a batched access line was written at once: %v", got)
	}
	requests := []struct{ path, clientID string }{
		{"/Users?count=1", ""},
		{"/Users/1", `okta-"7"`},
		{"/Users/999999", ""},
		{"/Users/x%C3%A9%22%5C%01", "a"},
		{"/Nope", ""},
	}
	plain.do(http.MethodGet, "/Users?count=1", "")
	for _, e := range []*env{plain, batched} {
		for _, r := range requests[1:] {
			e.do(http.MethodGet, r.path, "", "X-Request-Id", r.clientID)
		}
	}
	// A line of slog's writes the access lines before it.
	batched.srv.log.Info("after the requests")
	if !strings.Contains(batched.logs.String(), `"msg":"request"`) || strings.Index(batched.logs.String(), `"msg":"request"`) > strings.Index(batched.logs.String(), "after the requests") {
		t.Fatalf("access lines did not precede the later line:\n%s", batched.logs.String())
	}
	want, got := plain.logLines("request"), batched.logLines("request")
	ignore := cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "time" || k == "request_id" || k == "duration_ms" })
	if diff := cmp.Diff(want, got, ignore); diff != "" || len(got) != len(requests) {
		t.Errorf("batched access lines differ from slog's (-slog +batched):\n%s", diff)
	}
	for _, l := range got {
		if _, ok := l["duration_ms"].(float64); !ok {
			t.Errorf("duration_ms = %#v, want a number", l["duration_ms"])
		}
		if id, _ := l["request_id"].(string); len(id) != 16 {
			t.Errorf("request_id = %q", id)
		}
	}
	// Close writes what is buffered.
	batched.do(http.MethodGet, "/Users/1", "")
	if err := batched.srv.access.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(batched.logLines("request")); n != len(requests)+1 {
		t.Errorf("after Close: %d access lines, want %d", n, len(requests)+1)
	}
}

// TestAppendJSONString: access line values are escaped the way slog's
// JSON handler escapes them.
func TestAppendJSONString(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain /scim/v2/Users", `"plain /scim/v2/Users"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"tab\tnl\ncr\r\x01", `"tab\tnl\ncr\r\u0001"`},
		{"é<&>", `"é<&>"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
		{"\u2028\u2029", `"\u2028\u2029"`},
	} {
		if got := string(mapping.AppendJSONString(nil, tt.in)); got != tt.want {
			t.Errorf("mapping.AppendJSONString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestAppendMillis: the access line's duration_ms reads as slog writes
// the float64 microseconds/1000, over every microsecond of the first
// second and durations up to days, negative ones too.
func TestAppendMillis(t *testing.T) {
	check := func(d time.Duration) {
		t.Helper()
		want := strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', -1, 64)
		if got := string(appendMillis(nil, d)); got != want {
			t.Fatalf("appendMillis(%v) = %s, want %s", d, got, want)
		}
	}
	for us := range 1_000_000 {
		check(time.Duration(us) * time.Microsecond)
	}
	for _, d := range []time.Duration{999 * time.Nanosecond, 1001 * time.Nanosecond, -1500 * time.Microsecond,
		-time.Millisecond, 36*time.Hour + 7*time.Microsecond, 1 << 52, -(1 << 52)} {
		check(d)
	}
}

// FuzzAccessLogTime: appendTime writes what t.AppendFormat(RFC3339Nano)
// does, for any instant and zone offset, whatever second it cached before
// (the previous instant of the fuzz input, or one in the same second).
func FuzzAccessLogTime(f *testing.F) {
	f.Add(int64(1764688621), int64(123456789), 0, int64(1))
	f.Add(int64(1764688621), int64(0), 3600, int64(0))
	f.Add(int64(1764688621), int64(100000000), -34200, int64(-1))
	f.Add(int64(-62135596800), int64(5), 0, int64(0))          // year 1
	f.Add(int64(253402300799), int64(999999999), 60, int64(1)) // 9999-12-31T23:59:59, into year 10000 by the offset
	f.Add(int64(-62135596801), int64(0), 0, int64(3))          // year 0
	w := &LogWriter{}
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int, step int64) {
		zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", offset%(100*3600))}
		for _, z := range zones {
			for _, tm := range []time.Time{time.Unix(sec, nsec).In(z), time.Unix(sec, nsec).Add(time.Duration(step)).In(z)} {
				if got, want := string(w.appendTime(nil, tm)), tm.Format(time.RFC3339Nano); got != want {
					t.Fatalf("appendTime(%v) = %s, want %s", tm, got, want)
				}
			}
		}
	})
}
