package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A server is one server process under test: retroscim serve or a bare
// handler.
type server struct {
	name      string
	retroscim bool   // retroscim serve, not a bare handler
	url       string // http://127.0.0.1:port
	admin     string // retroscim's admin listener (/metrics), http://...
	client    *http.Client
	token     string // sent as the bearer token (the bare handler ignores it)

	cmd     *exec.Cmd
	exited  chan struct{}
	drained chan struct{} // closed when the server's log is read to its end
	// accessLines counts retroscim's "msg":"request" log lines.
	accessLines atomic.Int64
	tail        lineTail
}

// lineTail keeps the last lines a server wrote that are not access log
// lines, for the error message when it fails.
type lineTail struct {
	mu    sync.Mutex
	lines []string
}

func (t *lineTail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > 20 {
		t.lines = t.lines[len(t.lines)-20:]
	}
}

func (t *lineTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxConnsPerHost:     conns,
		MaxIdleConnsPerHost: conns,
		DisableCompression:  true, // neither server compresses
	}}
}

// startRetroscim runs retroscim serve with the configuration at config.
// Its log (one JSON line per request) goes to a pipe the driver reads and
// counts, as it would go to journald or a log shipper in production.
func startRetroscim(ctx context.Context, name, bin, config, dsn, token string, conns int) (*server, error) {
	cmd := exec.Command(bin, "serve", "--config", config, "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "RETROSCIM_DSN="+dsn, "RETROSCIM_TOKEN="+token, "RETROSCIM_ADMIN_LISTEN=127.0.0.1:0")
	s := &server{name: name, retroscim: true, token: token, client: newClient(conns)}
	stderr, err := s.start(cmd, &cmd.Stderr)
	if err != nil {
		return nil, err
	}
	ready := make(chan struct{})
	go func() {
		defer close(s.drained)
		defer stderr[0].Close()
		r := bufio.NewReaderSize(stderr[0], 64<<10)
		var once sync.Once
		for {
			line, err := r.ReadSlice('\n')
			if len(line) > 0 {
				if bytes.Contains(line, []byte(`"msg":"request"`)) {
					s.accessLines.Add(1)
				} else {
					s.readLogLine(line, func() { once.Do(func() { close(ready) }) })
				}
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err != nil {
				return
			}
		}
	}()
	return s, s.wait(ctx, ready)
}

// readLogLine picks the listeners' addresses out of retroscim's start-up
// lines; up is called once both are known.
func (s *server) readLogLine(line []byte, up func()) {
	s.tail.add(strings.TrimSpace(string(line)))
	var rec struct {
		Msg     string `json:"msg"`
		Address string `json:"address"`
	}
	if json.Unmarshal(line, &rec) != nil || rec.Address == "" {
		return
	}
	switch rec.Msg {
	case "serving health and metrics":
		s.admin = "http://" + rec.Address
	case "serving SCIM":
		s.url = "http://" + rec.Address
		up()
	}
}

// startBare runs this executable's bare handler serving columns.
func startBare(ctx context.Context, name, dsn string, columns []string, conns int) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "bare", "--dsn", dsn, "--columns", strings.Join(columns, ","))
	s := &server{name: name, client: newClient(conns)}
	out, err := s.start(cmd, &cmd.Stdout, &cmd.Stderr)
	if err != nil {
		return nil, err
	}
	ready := make(chan struct{})
	go func() {
		defer out[0].Close()
		sc := bufio.NewScanner(out[0])
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok && s.url == "" {
				s.url = "http://" + addr
				close(ready)
			}
		}
	}()
	go func() {
		defer close(s.drained)
		defer out[1].Close()
		sc := bufio.NewScanner(out[1])
		for sc.Scan() {
			s.tail.add(sc.Text())
		}
	}()
	return s, s.wait(ctx, ready)
}

// start starts cmd with each of outputs (cmd.Stdout, cmd.Stderr) on a pipe
// of its own and returns the pipes' read ends. They are plain pipes, not
// exec's, so that reading them to the end never races with Wait.
func (s *server) start(cmd *exec.Cmd, outputs ...*io.Writer) ([]*os.File, error) {
	var readers, writers []*os.File
	for _, o := range outputs {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		*o = w
		readers, writers = append(readers, r), append(writers, w)
	}
	// The server dies with the driver, however the driver ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Start()
	for _, w := range writers {
		w.Close()
	}
	if err != nil {
		for _, r := range readers {
			r.Close()
		}
		return nil, fmt.Errorf("start %s: %w", s.name, err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	s.drained = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	return readers, nil
}

// wait returns once the server listens, or with the reason it does not.
func (s *server) wait(ctx context.Context, ready <-chan struct{}) error {
	select {
	case <-ready:
		return nil
	case <-s.exited:
		s.waitDrained()
		return fmt.Errorf("%s exited before it served (%s):\n%s", s.name, s.cmd.ProcessState, s.tail.String())
	case <-time.After(60 * time.Second):
		s.stop()
		return fmt.Errorf("%s did not start serving within 60s:\n%s", s.name, s.tail.String())
	case <-ctx.Done():
		s.stop()
		return ctx.Err()
	}
}

// stop asks the server to shut down (SIGTERM) and kills it if it has not
// after 25 s.
func (s *server) stop() {
	if s == nil || s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(25 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.waitDrained()
	s.client.CloseIdleConnections()
}

// waitDrained waits a little for the server's log to be read to its end
// (a child the server started could hold the pipe open).
func (s *server) waitDrained() {
	select {
	case <-s.drained:
	case <-time.After(5 * time.Second):
	}
}

// alive reports an error when the server has exited.
func (s *server) alive() error {
	select {
	case <-s.exited:
		return fmt.Errorf("%s exited (%s):\n%s", s.name, s.cmd.ProcessState, s.tail.String())
	default:
		return nil
	}
}

// userHZ is the unit of the CPU times in /proc/<pid>/stat. The kernel
// reports them in USER_HZ, which is 100 on every architecture Go runs
// Linux on.
const userHZ = 100

// cpuTime is the CPU the server process has used so far, user and system,
// all threads: utime + stime of /proc/<pid>/stat.
func (s *server) cpuTime() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", s.name, err)
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime + stime from the text of /proc/<pid>/stat.
// The command name (field 2) is in parentheses and may itself hold spaces
// and parentheses, so fields are counted from the last ')'.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat: no command name in %q", stat)
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat: %d fields after the command name", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// peakRSS is the server's peak resident set size in bytes (VmHWM).
func (s *server) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	return parseStatusKB(string(b), "VmHWM")
}

func parseStatusKB(status, key string) (int64, error) {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc status %s: %w", key, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("/proc status: no %s", key)
}

// requestsByStatus reads retroscim_http_requests_total from the admin
// listener's /metrics, summed per status.
func (s *server) requestsByStatus(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.admin+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/metrics: %s", s.admin, resp.Status)
	}
	return parseRequestTotals(string(body)), nil
}

func parseRequestTotals(metrics string) map[string]float64 {
	out := map[string]float64{}
	for _, line := range strings.Split(metrics, "\n") {
		if !strings.HasPrefix(line, "retroscim_http_requests_total{") {
			continue
		}
		labels, value, ok := strings.Cut(strings.TrimPrefix(line, "retroscim_http_requests_total{"), "} ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(labels, ",") {
			if st, ok := strings.CutPrefix(l, `status="`); ok {
				out[strings.TrimSuffix(st, `"`)] += v
			}
		}
	}
	return out
}
