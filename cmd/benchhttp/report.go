package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// printHeader prints what the numbers depend on: date, machine, database,
// the command, and how each server runs.
func (b *bench) printHeader(root string) {
	w := b.stdout
	o := b.o
	fmt.Fprintf(w, "benchhttp: retroscim side by side with a bare echo+sqlx handler, over loopback\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "date\t%s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(tw, "command\t%s\n", commandLine())
	fmt.Fprintf(tw, "machine\tnproc %d, %s, Linux %s, %s\n", runtime.NumCPU(), cpuModel(), kernel(), runtime.Version())
	fmt.Fprintf(tw, "load average\t%s at the start (the machine may be shared: read the A/A control)\n", loadAverage())
	fmt.Fprintf(tw, "database\t%s at %s, %s: %s users, %s in scope (auth_source %s, org_id %d); requests pick from %s of them at random\n",
		b.data.version, b.data.addr, b.data.name, thousands(b.data.users), thousands(b.data.inScope), scopeSource, scopeTenant, thousands(int64(len(b.data.ids))))
	fmt.Fprintf(tw, "retroscim\t%s, serve with %s: access log on (a JSON line per request, to a pipe this driver reads),\n", revision(root), relPath(root, o.sampleConfig))
	fmt.Fprintf(tw, "\tmetrics on (admin listener), auth by the configuration's token (RETROSCIM_TOKEN, tenant 1), rate limit on at\n")
	fmt.Fprintf(tw, "\t%d/s, burst %d per token (never reached: every non-200 answer is counted), breaker and deadlines as shipped\n", rateLimitPerSecond, rateLimitBurst)
	fmt.Fprintf(tw, "bare\techo + sqlx, the same columns, one statement per request, rows as JSON; no auth, log, metrics or SCIM\n")
	if o.rate > 0 {
		fmt.Fprintf(tw, "load\tthis process, %d keep-alive connections per server, paced: %s requests a second offered to each server, evenly spread;\n", o.conns, thousands(int64(o.rate)))
	} else {
		fmt.Fprintf(tw, "load\tthis process, %d keep-alive connections per server, each sending its next request when the last is answered;\n", o.conns)
	}
	fmt.Fprintf(tw, "\tper scenario %s of warm-up per server, then %d round(s) of %s runs of retroscim (R), the bare handler (B)\n", o.warmup, o.pairs, o.duration)
	fmt.Fprintf(tw, "\tand a second, identical bare handler (B', the A/A control), in rotating order\n")
	fmt.Fprintf(tw, "server CPU\tutime+stime of /proc/<pid>/stat over each run, divided by the requests answered\n")
	tw.Flush()
}

// printScenario prints one scenario's rounds: per pair, then the medians.
func (b *bench) printScenario(sc scenario, m benchMapping, statements []string, rounds [][3]measurement) {
	w := b.stdout
	fmt.Fprintf(w, "\n== %s, %s\n", sc.title, m.title)
	for _, s := range statements {
		fmt.Fprintf(w, "   retroscim: %s\n", s)
	}
	st := newBareStatements(m.columns)
	bareSQL := map[string]string{"get": st.byID, "lookup": st.byLogin, "pages": st.page}[sc.name]
	fmt.Fprintf(w, "   bare:      %s\n", bareSQL)
	if sc.name == "pages" {
		fmt.Fprintf(w, "   (retroscim pages by startIndex; the bare handler continues from the last id it served, ?after=<id>)\n")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\torder\tCPU/req R\tB\tB'\tR/B\tA/A B'/B\treq/s R\tB\tB'\tR/B\tA/A B'/B\tp50/p99 ms R\tB\tfailed\t")
	var cpuRatio, cpuAA, tputRatio, tputAA []float64
	for i, r := range rounds {
		order := roundOrder(i)
		names := make([]string, 3)
		for j, k := range order {
			names[j] = [3]string{"R", "B", "B'"}[k]
		}
		cr := ratio(r[retro].cpuPerRequest().Seconds(), r[bare1].cpuPerRequest().Seconds())
		ca := ratio(r[bare2].cpuPerRequest().Seconds(), r[bare1].cpuPerRequest().Seconds())
		tr := ratio(r[retro].throughput(), r[bare1].throughput())
		ta := ratio(r[bare2].throughput(), r[bare1].throughput())
		cpuRatio, cpuAA, tputRatio, tputAA = append(cpuRatio, cr), append(cpuAA, ca), append(tputRatio, tr), append(tputAA, ta)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%s\t%s\t%s\t%.2f\t%.2f\t%s\t%s\t%d\t\n", i+1, strings.Join(names, " "),
			micros(r[retro].cpuPerRequest()), micros(r[bare1].cpuPerRequest()), micros(r[bare2].cpuPerRequest()), cr, ca,
			perSecond(r[retro].throughput()), perSecond(r[bare1].throughput()), perSecond(r[bare2].throughput()), tr, ta,
			p50p99(r[retro]), p50p99(r[bare1]), r[retro].failures+r[bare1].failures+r[bare2].failures)
	}
	med := func(k int, f func(measurement) float64) float64 {
		var v []float64
		for _, r := range rounds {
			v = append(v, f(r[k]))
		}
		return median(v)
	}
	cpu := func(m measurement) float64 { return m.cpuPerRequest().Seconds() }
	tput := func(m measurement) float64 { return m.throughput() }
	p50 := func(m measurement) float64 { return m.percentile(0.50).Seconds() }
	p99 := func(m measurement) float64 { return m.percentile(0.99).Seconds() }
	fmt.Fprintf(tw, "median\t\t%s\t%s\t%s\t%.2f\t%.2f\t%s\t%s\t%s\t%.2f\t%.2f\t%s\t%s\t\t\n",
		micros(seconds(med(retro, cpu))), micros(seconds(med(bare1, cpu))), micros(seconds(med(bare2, cpu))), median(cpuRatio), median(cpuAA),
		perSecond(med(retro, tput)), perSecond(med(bare1, tput)), perSecond(med(bare2, tput)), median(tputRatio), median(tputAA),
		fmt.Sprintf("%.2f/%.2f", 1000*med(retro, p50), 1000*med(retro, p99)), fmt.Sprintf("%.2f/%.2f", 1000*med(bare1, p50), 1000*med(bare1, p99)))
	fmt.Fprintf(tw, "range\t\t\t\t\t%s\t%s\t\t\t\t%s\t%s\t\t\t\t\n", span(cpuRatio), span(cpuAA), span(tputRatio), span(tputAA))
	tw.Flush()
	for _, f := range b.warmFailures {
		fmt.Fprintf(w, "   %s\n", f)
	}
	b.warmFailures = nil
	for _, r := range rounds {
		for k, m := range r {
			if m.failures > 0 {
				fmt.Fprintf(w, "   %s: %d request(s) failed in a round; the first: %s\n", serverNames[k], m.failures, m.failure)
			}
		}
	}

	b.summary = append(b.summary, summaryRow{
		scenario: sc, mapping: m,
		cpuR: seconds(med(retro, cpu)), cpuB: seconds(med(bare1, cpu)),
		cpuRatio: cpuRatio, cpuAA: cpuAA,
		tputR: med(retro, tput), tputB: med(bare1, tput),
		tputRatio: tputRatio, tputAA: tputAA,
		latR: fmt.Sprintf("%.2f / %.2f ms", 1000*med(retro, p50), 1000*med(retro, p99)),
		latB: fmt.Sprintf("%.2f / %.2f ms", 1000*med(bare1, p50), 1000*med(bare1, p99)),
	})
}

// printFeatures shows that retroscim ran with its features on: what its
// metrics and its access log counted against what the driver sent.
func (b *bench) printFeatures(s *server, sent int, statuses map[string]float64) {
	var codes []string
	var total float64
	for code, n := range statuses {
		codes = append(codes, fmt.Sprintf("%s: %s", code, thousands(int64(n))))
		total += n
	}
	slices.Sort(codes)
	fmt.Fprintf(b.stdout, "\n   retroscim answered %s requests of this driver; its /metrics counted %s (%s), its access log %s lines\n",
		thousands(int64(sent)), thousands(int64(total)), strings.Join(codes, ", "), thousands(s.accessLines.Load()))
}

// printImport prints the sequential import's rounds.
func (b *bench) printImport(rounds [][3]importRun) {
	w := b.stdout
	pages := "every page"
	if b.o.importPages > 0 {
		pages = fmt.Sprintf("up to %s pages", thousands(int64(b.o.importPages)))
	}
	fmt.Fprintf(w, "\n== Sequential import, %s: one connection, count=%d, %s, each server freshly started\n", b.o.importMapping.title, pageSize, pages)
	fmt.Fprintf(w, "   (retroscim by startIndex=1, 101, …; the bare handler by ?after=<last id>; first/last 10: mean and median page)\n")
	warm := "as the sample sets it"
	if b.o.countWarm > 0 {
		warm = b.o.countWarm.String() + " (--count-warm)"
	}
	fmt.Fprintf(w, "   (retroscim with pagination.count_warm %s; each import starts %s after its server)\n", warm, b.o.importDelay)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\tserver\tpages\trows\ttotal\tp50 page\tpage 1\tfirst 10\tlast 10\tlast/first\tmax page (#)\tmax after page 1 (#)\t>100 ms\tCPU/page\tpeak RSS\t")
	var totalRatio, totalAA []float64
	for i, r := range rounds {
		for _, k := range roundOrder(i) {
			ir := r[k]
			first, last := ir.window(10, false), ir.window(10, true)
			maxp, at := ir.maxPage()
			cpuPage := time.Duration(0)
			if len(ir.pages) > 0 {
				cpuPage = ir.cpu / time.Duration(len(ir.pages))
			}
			later, laterAt := ir.maxPageAfter(1)
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%.1f s\t%s\t%s\t%s / %s\t%s / %s\t%.2f\t%s (%d)\t%s (%d)\t%d\t%s\t%.1f MB\t\n", i+1, serverNames[k],
				thousands(int64(len(ir.pages))), thousands(int64(ir.rows)), ir.total.Seconds(), millis(ir.median()), millis(ir.page(1)),
				millis(first.mean), millis(first.median), millis(last.mean), millis(last.median), ratio(last.mean.Seconds(), first.mean.Seconds()),
				millis(maxp), at, millis(later), laterAt, ir.slowerThan(100*time.Millisecond), millis(cpuPage), float64(ir.peakRSS)/(1<<20))
		}
		totalRatio = append(totalRatio, ratio(r[retro].total.Seconds(), r[bare1].total.Seconds()))
		totalAA = append(totalAA, ratio(r[bare2].total.Seconds(), r[bare1].total.Seconds()))
	}
	tw.Flush()
	fmt.Fprintf(w, "   total time retroscim/bare: median %.2f (%s); A/A bare'/bare: median %.2f (%s); %d round(s)\n",
		median(totalRatio), span(totalRatio), median(totalAA), span(totalAA), len(rounds))
}

// summaryRow is one scenario's line in the summary.
type summaryRow struct {
	scenario          scenario
	mapping           benchMapping
	cpuR, cpuB        time.Duration
	cpuRatio, cpuAA   []float64
	tputR, tputB      float64
	tputRatio, tputAA []float64
	latR, latB        string
}

// printSummary prints the medians of every scenario as a Markdown table,
// the shape of the README's performance table.
func (b *bench) printSummary() {
	if len(b.summary) == 0 {
		return
	}
	w := b.stdout
	fmt.Fprintf(w, "\n== Summary: medians of %d round(s) (range of the per-round ratios in brackets)\n\n", b.o.pairs)
	fmt.Fprintln(w, "| | mapping | server CPU per request: retroscim | bare | ratio | A/A | throughput: retroscim | bare | ratio | A/A | p50 / p99: retroscim | bare |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range b.summary {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.2f (%s) | %.2f (%s) | %s req/s | %s req/s | %.2f (%s) | %.2f (%s) | %s | %s |\n",
			r.scenario.name, r.mapping.name, micros(r.cpuR), micros(r.cpuB), median(r.cpuRatio), span(r.cpuRatio), median(r.cpuAA), span(r.cpuAA),
			perSecond(r.tputR), perSecond(r.tputB), median(r.tputRatio), span(r.tputRatio), median(r.tputAA), span(r.tputAA), r.latR, r.latB)
	}
	fmt.Fprintf(w, "\nload average %s at the end\n", loadAverage())
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// median of v; the mean of the two middle values for an even count.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(v))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// span is "min–max" of v.
func span(v []float64) string {
	if len(v) == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f–%.2f", slices.Min(v), slices.Max(v))
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func micros(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

func millis(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func p50p99(m measurement) string {
	return fmt.Sprintf("%.2f/%.2f", float64(m.percentile(0.50))/1e6, float64(m.percentile(0.99))/1e6)
}

func perSecond(v float64) string { return thousands(int64(math.Round(v))) }

// thousands writes n with commas: 1,000,009.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// commandLine is how this run was started, quoted for a shell.
func commandLine() string {
	args := append([]string{"benchhttp"}, os.Args[1:]...)
	s := shellJoin(args)
	if os.Getenv("MAKELEVEL") != "" {
		s += "   (make bench-http)"
	}
	return s
}

func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'$`\\*?[]^&|;<>(){}!#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// revision is the commit of the module at root, marked when the work tree
// has changes.
func revision(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "commit unknown"
	}
	rev := "commit " + strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		rev += " (with uncommitted changes)"
	}
	return rev
}

func relPath(root, path string) string {
	if rel, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}
