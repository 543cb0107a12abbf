package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// options are run's flags.
type options struct {
	pairs, conns, importPairs, importPages int
	rate                                   float64 // requests a second per server; 0: each connection as fast as answered
	duration, warmup                       time.Duration
	countWarm, importDelay                 time.Duration
	scenarios                              []scenario
	mappings                               []benchMapping
	importMapping                          benchMapping
	dsn, retroscim, sampleConfig           string
}

func parseRunFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("benchhttp run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.pairs, "pairs", 7, "rounds; each runs retroscim, the bare handler and the A/A control's second bare handler once, in rotating order")
	fs.DurationVar(&o.duration, "duration", 4*time.Second, "length of one run")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured run of each server before the rounds of a scenario")
	fs.IntVar(&o.conns, "conns", 8, "keep-alive connections per server, each sending its next request when the last is answered (above 10, the sample's max_conns_per_tenant, retroscim answers some 429)")
	fs.Float64Var(&o.rate, "rate", 0, "pace the load: send this many requests a second to each server, spread evenly over the connections (0: each connection sends its next request when the last is answered). With the same offered load each server does the same work, so CPU per request compares the cost of a request, not how well each server batches at saturation")
	scenarioNames := fs.String("scenarios", "get,lookup,pages", "scenarios to run: get, lookup, pages")
	mappingNames := fs.String("mappings", "4,full", "mappings to serve: 4 (4 attributes), full (the sample's)")
	importFlag := fs.String("import", "3000", "sequential import: pages to read, all (every row in scope) or off")
	fs.IntVar(&o.importPairs, "import-pairs", 1, "rounds of the sequential import (retroscim, bare and bare' each import once per round)")
	importMapping := fs.String("import-mapping", "full", "mapping of the sequential import")
	fs.DurationVar(&o.countWarm, "count-warm", 0, "serve with pagination.count_warm set to this (0: as the sample ships, 24h): retroscim counts the tenant's lists at start and keeps their totals counted")
	fs.DurationVar(&o.importDelay, "import-delay", 3*time.Second, "wait this long between starting a server and importing from it (an identity provider's import does not come the moment a server starts; the sample's count_warm counts at start, about 1 s on the bench database, and this lets that count land first)")
	fs.StringVar(&o.dsn, "dsn", "", "DSN of a database in the sample schema (default: the 1M-user bench database, built by make bench's generator when missing)")
	fs.StringVar(&o.retroscim, "retroscim", "", "retroscim binary to run (default: go build ./cmd/retroscim into a temporary directory)")
	fs.StringVar(&o.sampleConfig, "sample-config", "", "the sample configuration the mappings derive from (default: examples/sample/config.yaml of the module)")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if o.pairs < 1 || o.conns < 1 || o.importPairs < 1 || o.duration <= 0 || o.warmup < 0 || o.countWarm < 0 || o.importDelay < 0 || o.rate < 0 {
		return o, usageError{msg: "--pairs, --conns and --import-pairs must be at least 1, --duration positive, --count-warm, --import-delay and --rate not negative"}
	}
	for _, n := range splitList(*scenarioNames) {
		sc, ok := findScenario(n)
		if !ok {
			return o, usageError{msg: fmt.Sprintf("--scenarios: unknown scenario %q (get, lookup, pages)", n)}
		}
		o.scenarios = append(o.scenarios, sc)
	}
	for _, n := range splitList(*mappingNames) {
		m, ok := findMapping(n)
		if !ok {
			return o, usageError{msg: fmt.Sprintf("--mappings: unknown mapping %q (4, full)", n)}
		}
		o.mappings = append(o.mappings, m)
	}
	var ok bool
	if o.importMapping, ok = findMapping(*importMapping); !ok {
		return o, usageError{msg: fmt.Sprintf("--import-mapping: unknown mapping %q (4, full)", *importMapping)}
	}
	switch *importFlag {
	case "off":
		o.importPages = -1
	case "all":
		o.importPages = 0
	default:
		n, err := strconv.Atoi(*importFlag)
		if err != nil || n < 1 {
			return o, usageError{msg: "--import: a number of pages, all or off"}
		}
		o.importPages = n
	}
	return o, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// runBench is benchhttp run: the whole benchmark, report on stdout,
// progress on stderr.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseRunFlags(args, stderr)
	if err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if o.sampleConfig == "" {
		o.sampleConfig = filepath.Join(root, "examples", "sample", "config.yaml")
	}
	sample, err := os.ReadFile(o.sampleConfig)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "benchhttp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.retroscim == "" {
		o.retroscim = filepath.Join(tmp, "retroscim")
		fmt.Fprintln(stderr, "benchhttp: go build ./cmd/retroscim")
		build := exec.CommandContext(ctx, "go", "build", "-o", o.retroscim, "./cmd/retroscim")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/retroscim: %w\n%s", err, out)
		}
	}
	if o.dsn == "" {
		if o.dsn, err = ensureBenchDatabase(ctx, root, stderr); err != nil {
			return err
		}
	}
	data, err := openDataset(ctx, o.dsn)
	if err != nil {
		return err
	}
	b := &bench{o: o, data: data, stdout: stdout, progress: stderr, tmp: tmp, sample: sample, token: randomToken()}
	b.printHeader(root)
	for _, m := range o.mappings {
		if err := b.measureMapping(ctx, m); err != nil {
			return err
		}
	}
	if o.importPages >= 0 {
		if err := b.measureImport(ctx); err != nil {
			return err
		}
	}
	b.printSummary()
	if b.failures > 0 {
		return fmt.Errorf("%d request(s) failed; the numbers above count them (first: %s)", b.failures, b.firstFailure)
	}
	return nil
}

// bench holds one run of the benchmark.
type bench struct {
	o        options
	data     *dataset
	stdout   io.Writer
	progress io.Writer
	tmp      string
	sample   []byte
	token    string

	summary      []summaryRow
	warmFailures []string // of the scenario being measured, for its report
	failures     int
	firstFailure string
}

// The three servers of a round: retroscim, the bare handler, and the
// second bare handler of the A/A control.
const (
	retro = iota
	bare1
	bare2
)

var serverNames = [3]string{"retroscim", "bare", "bare'"}

// roundOrder rotates the order the three servers run in, so that none is
// always first or always right after another.
func roundOrder(round int) [3]int {
	orders := [3][3]int{{retro, bare1, bare2}, {bare1, bare2, retro}, {bare2, retro, bare1}}
	return orders[round%3]
}

// config writes the configuration retroscim serves m with and returns
// its path.
func (b *bench) config(m benchMapping) (string, error) {
	path := filepath.Join(b.tmp, "config-"+m.name+".yaml")
	return path, writeConfig(path, b.sample, m, b.o.countWarm)
}

// startServer starts server i of a round: retroscim serving m, or a bare
// handler serving the same columns.
func (b *bench) startServer(ctx context.Context, i int, m benchMapping, conns int) (*server, error) {
	if i != retro {
		return startBare(ctx, serverNames[i], b.o.dsn, m.columns, conns)
	}
	config, err := b.config(m)
	if err != nil {
		return nil, err
	}
	return startRetroscim(ctx, serverNames[i], b.o.retroscim, config, b.o.dsn, b.token, conns)
}

// startServers starts the three servers of a round.
func (b *bench) startServers(ctx context.Context, m benchMapping, conns int) ([3]*server, error) {
	var s [3]*server
	for i := range s {
		var err error
		if s[i], err = b.startServer(ctx, i, m, conns); err != nil {
			stopAll(s)
			return s, err
		}
	}
	return s, nil
}

func stopAll(s [3]*server) {
	for _, srv := range s {
		if srv != nil {
			srv.stop()
		}
	}
}

// measureMapping runs every scenario against retroscim serving m and the
// bare handlers serving the same columns.
func (b *bench) measureMapping(ctx context.Context, m benchMapping) error {
	config, err := b.config(m)
	if err != nil {
		return err
	}
	statements, err := b.explain(ctx, config, m)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.progress, "benchhttp: mapping %s: starting retroscim and two bare handlers\n", m.name)
	servers, err := b.startServers(ctx, m, b.o.conns)
	if err != nil {
		return err
	}
	defer stopAll(servers)
	sent := 0
	for _, sc := range b.o.scenarios {
		rounds, warm, err := b.measureScenario(ctx, servers, sc, m)
		if err != nil {
			return err
		}
		sent += warm
		for _, r := range rounds {
			sent += r[retro].requests
		}
		b.printScenario(sc, m, statements[sc.name], rounds)
	}
	statuses, err := servers[retro].requestsByStatus(ctx)
	if err != nil {
		return fmt.Errorf("retroscim's /metrics: %w", err)
	}
	servers[retro].stop()
	b.printFeatures(servers[retro], sent, statuses)
	return nil
}

// measureScenario warms each server up, then runs the rounds.
func (b *bench) measureScenario(ctx context.Context, servers [3]*server, sc scenario, m benchMapping) (rounds [][3]measurement, warmRequests int, err error) {
	seed := uint64(time.Now().UnixNano())
	if b.o.warmup > 0 {
		for i, s := range servers {
			w, err := drive(ctx, s, sc, b.data, b.o.conns, b.o.rate, b.o.warmup, seed+uint64(i))
			if err != nil {
				return nil, 0, err
			}
			b.count(w)
			if w.failures > 0 {
				b.warmFailures = append(b.warmFailures, fmt.Sprintf("%s: %d request(s) failed in the warm-up; the first: %s", s.name, w.failures, w.failure))
			}
			if i == retro {
				warmRequests = w.requests
			}
		}
	}
	for r := range b.o.pairs {
		fmt.Fprintf(b.progress, "benchhttp: %s, mapping %s: round %d of %d\n", sc.name, m.name, r+1, b.o.pairs)
		var round [3]measurement
		for _, i := range roundOrder(r) {
			round[i], err = drive(ctx, servers[i], sc, b.data, b.o.conns, b.o.rate, b.o.duration, seed+uint64(100*r+i))
			if err != nil {
				return nil, 0, err
			}
			b.count(round[i])
		}
		rounds = append(rounds, round)
	}
	return rounds, warmRequests, nil
}

func (b *bench) count(m measurement) {
	b.failures += m.failures
	if b.firstFailure == "" {
		b.firstFailure = m.failure
	}
}

// explain asks retroscim which statements each scenario runs, and checks
// that GET /Users/{id} selects the columns the bare handler selects:
// otherwise the two would not serve the same query.
func (b *bench) explain(ctx context.Context, config string, m benchMapping) (map[string][]string, error) {
	requests := map[string]string{
		"get":    "GET /Users/" + b.data.ids[0],
		"lookup": `GET /Users?filter=userName eq "` + b.data.logins[0] + `"&startIndex=1&count=100`,
		"pages":  "GET /Users?startIndex=1&count=100",
	}
	out := map[string][]string{}
	for name, req := range requests {
		cmd := exec.CommandContext(ctx, b.o.retroscim, "explain", "--config", config, req)
		cmd.Env = append(os.Environ(), "RETROSCIM_DSN="+b.o.dsn, "RETROSCIM_TOKEN="+b.token, "RETROSCIM_ADMIN_LISTEN=127.0.0.1:0")
		text, err := cmd.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("retroscim explain %q: %w\n%s", req, err, text)
		}
		for _, line := range strings.Split(string(text), "\n") {
			if line = strings.TrimSpace(line); strings.HasPrefix(line, "SELECT ") {
				out[name] = append(out[name], line)
			}
		}
		if len(out[name]) == 0 {
			return nil, fmt.Errorf("retroscim explain %q printed no SELECT:\n%s", req, text)
		}
	}
	got, err := selectColumns(out["get"][0])
	if err != nil {
		return nil, err
	}
	if !sameSet(got, m.columns) {
		return nil, fmt.Errorf("with mapping %s retroscim's GET /Users/{id} selects %s, the bare handler %s: make benchMappings in cmd/benchhttp/mappings.go match, or the two do not serve the same query",
			m.name, strings.Join(got, ","), strings.Join(m.columns, ","))
	}
	if r, b := afterFrom(out["lookup"][0]), afterFrom(newBareStatements(m.columns).byLogin); r != b {
		return nil, fmt.Errorf("retroscim's lookup reads\n  %s\nthe bare handler's\n  %s\nmake bareStatements in cmd/benchhttp/bare.go ask the same, or the two do not serve the same query", r, b)
	}
	return out, nil
}

// afterFrom is a statement from its FROM on: the table, predicate, order
// and limit, whatever the columns.
func afterFrom(stmt string) string {
	if i := strings.Index(stmt, " FROM "); i >= 0 {
		return stmt[i+1:]
	}
	return stmt
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			return false
		}
	}
	return true
}

// measureImport runs the sequential import: each round, each server
// freshly started (nothing remembered), imported by one connection.
func (b *bench) measureImport(ctx context.Context) error {
	var rounds [][3]importRun
	for r := range b.o.importPairs {
		var round [3]importRun
		for _, i := range roundOrder(r) {
			fmt.Fprintf(b.progress, "benchhttp: import, round %d of %d: %s\n", r+1, b.o.importPairs, serverNames[i])
			s, err := b.startServer(ctx, i, b.o.importMapping, 1)
			if err != nil {
				return err
			}
			select {
			case <-time.After(b.o.importDelay):
			case <-ctx.Done():
				s.stop()
				return ctx.Err()
			}
			round[i], err = runImport(ctx, s, b.o.importPages)
			s.stop()
			if err != nil {
				return err
			}
		}
		rounds = append(rounds, round)
	}
	b.printImport(rounds)
	return nil
}

// moduleRoot is the directory of the retroscim module's go.mod, found
// from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/retroscim/retroscim\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run benchhttp inside the retroscim module (it builds ./cmd/retroscim and reads examples/sample/config.yaml)")
		}
		dir = parent
	}
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
