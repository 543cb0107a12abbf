package cluster

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// haproxy is the test's HAProxy: the galera_writer and galera_all
// listeners in front of the nodes and the scim frontend in front of the
// replicas.
type haproxy struct {
	params haproxyParams
	dir    string
	cfg    string
	proc   *proc
}

// startHAProxy writes the configuration (the template, changed by
// breaks for a deliberately broken variant) and the Galera check script,
// checks the file with haproxy -c and starts HAProxy in the foreground.
func startHAProxy(ctx context.Context, dir string, params haproxyParams, breaks func(string) (string, error)) (*haproxy, error) {
	bin, err := lookPath("haproxy")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(params.CheckScript, []byte(galeraCheck), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(params.SCIMUnavailable, []byte(scimUnavailable), 0o644); err != nil {
		return nil, err
	}
	text, err := render("haproxy.cfg.tmpl", haproxyTemplate, params)
	if err != nil {
		return nil, err
	}
	if breaks != nil {
		if text, err = breaks(text); err != nil {
			return nil, err
		}
	}
	h := &haproxy{params: params, dir: dir, cfg: filepath.Join(dir, "haproxy.cfg")}
	if err := os.WriteFile(h.cfg, []byte(text), 0o644); err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, bin, "-c", "-f", h.cfg).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("haproxy -c: %w\n%s", err, out)
	}
	if h.proc, err = startProc("haproxy", filepath.Join(dir, "haproxy.log"), nil, nil, bin, "-db", "-f", h.cfg); err != nil {
		return nil, err
	}
	for {
		if _, err := h.command("show info"); err == nil {
			return h, nil
		}
		if !h.proc.running() {
			return nil, fmt.Errorf("haproxy exited: %v\n%s", h.proc.err, logTail(h.proc.log, 20))
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("haproxy did not open its stats socket: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// command runs one command on HAProxy's stats socket.
func (h *haproxy) command(cmd string) (string, error) {
	c, err := net.DialTimeout("unix", h.params.StatsSocket, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(bufio.NewReader(c))
	return string(b), err
}

// servers reports the status HAProxy gives each server of a proxy
// (UP, DOWN, MAINT, "UP 1/2" while changing); a server without health
// checks is UP.
func (h *haproxy) servers(proxy string) (map[string]string, error) {
	out, err := h.command("show stat")
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "# ")))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil || len(recs) == 0 {
		return nil, fmt.Errorf("show stat: %v: %q", err, out)
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	st := map[string]string{}
	for _, rec := range recs[1:] {
		if len(rec) <= col["status"] || rec[col["pxname"]] != proxy || rec[col["svname"]] == "FRONTEND" || rec[col["svname"]] == "BACKEND" {
			continue
		}
		status := rec[col["status"]]
		if status == "no check" {
			status = "UP" // a server without health checks gets traffic
		}
		st[rec[col["svname"]]] = status
	}
	return st, nil
}

// waitServers waits until HAProxy gives each named server of proxy the
// wanted status.
func (h *haproxy) waitServers(ctx context.Context, proxy string, want map[string]string) error {
	var got map[string]string
	var err error
	for {
		if got, err = h.servers(proxy); err == nil {
			ok := true
			for sv, st := range want {
				if got[sv] != st {
					ok = false
				}
			}
			if ok {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("haproxy %s: servers %v (%v), want %v: %w", proxy, got, err, want, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
