package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writer is the node galera_writer sends statements to now.
func (c *cluster) writer(t *testing.T) *node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var name string
	if err := c.root.QueryRowContext(ctx, "SELECT @@wsrep_node_name").Scan(&name); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.nodes {
		if n.addr.Name == name {
			return n
		}
	}
	t.Fatalf("galera_writer leads to %q, which is none of the nodes", name)
	return nil
}

// testNodeKilled: the Galera node that takes the writes is killed
// (SIGKILL) under a write load through two replicas. HAProxy's health
// check moves the writes to a backup node; no acknowledged write is lost,
// no PATCH is half applied (on any node), no answer takes longer than the
// query timeout; the node then rejoins by IST and, once HAProxy sends it
// statements again, commits them.
func testNodeKilled(t *testing.T, c *cluster) {
	const tenant, clients = 13, 6
	c.deploy(t, deployment{replicas: 2, db: "writer"})
	l := newWriteLoad(t, c, tenant, clients, c.scimBase())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	loadCtx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	go func() { l.run(loadCtx); close(loadDone) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopLoad()
			<-loadDone
			stopped = true
		}
	}
	defer stop()

	time.Sleep(2 * time.Second)
	victim := c.writer(t)
	var survivors []*node
	for _, n := range c.nodes {
		if n != victim {
			survivors = append(survivors, n)
		}
	}
	killAt := time.Now()
	victim.kill()
	evictedc := make(chan time.Duration, 1)
	go func() {
		for _, n := range survivors {
			if err := n.waitSynced(ctx, 2); err != nil {
				t.Error(err)
			}
		}
		evictedc <- time.Since(killAt)
	}()

	var failover loadReply
	for {
		var ok bool
		if failover, ok = l.firstSuccessAfter(killAt); ok {
			break
		}
		if time.Since(killAt) > 20*time.Second {
			stop()
			t.Fatalf("no write succeeded in the 20 s after %s was killed: HAProxy did not move the writes to another node", victim.addr.Name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	outage := failover.start.Add(failover.took).Sub(killAt)
	evicted := <-evictedc
	time.Sleep(time.Second)

	logBefore := fileSize(filepath.Join(victim.dir, "error.log"))
	restartAt := time.Now()
	if err := victim.restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := victim.waitSynced(ctx, 3); err != nil {
		t.Fatal(err)
	}
	rejoined := time.Since(restartAt)
	for _, px := range []string{"galera_writer", "galera_all"} {
		if err := c.ha.waitServers(ctx, px, map[string]string{victim.addr.Name: "UP"}); err != nil {
			t.Fatal(err)
		}
	}
	inService := time.Since(restartAt)
	joinLog := fileFrom(filepath.Join(victim.dir, "error.log"), logBefore)
	if !strings.Contains(joinLog, "rsync IST completed on joiner") {
		t.Errorf("%s did not rejoin by IST alone; its log:\n%s", victim.addr.Name, lastLines(joinLog, 30))
	}
	time.Sleep(time.Second)
	stop()

	ok, failed, statuses, took := l.summary()
	var slowest loadReply
	for _, r := range l.results() {
		if r.took > slowest.took {
			slowest = r
		}
	}
	var unclear []string
	for _, r := range l.results() {
		if !r.ok() && !r.scimError() {
			unclear = append(unclear, r.String())
		}
	}
	if len(unclear) > 0 {
		t.Errorf("%d failed requests did not get a SCIM error (with Retry-After on 503):\n%s", len(unclear), strings.Join(unclear, "\n"))
	}
	if limit := queryTimeout + time.Second; slowest.took > limit {
		t.Errorf("an answer took %s, longer than the query timeout (%s) and a second: %s", round(slowest.took), queryTimeout, slowest.reply)
	}
	l.check(t)

	// A switchover back to the node that was killed: HAProxy sends it the
	// statements, and the writes commit there.
	var others []string
	for _, n := range c.nodes {
		if n != victim {
			others = append(others, n.addr.Name)
		}
	}
	for _, name := range others {
		for _, cmd := range []string{"set server galera_writer/" + name + " state maint", "shutdown sessions server galera_writer/" + name} {
			if out, err := c.ha.command(cmd); err != nil || strings.TrimSpace(out) != "" {
				t.Fatalf("haproxy %q: %q %v", cmd, out, err)
			}
		}
	}
	commits, err := victim.counter(ctx, "wsrep_local_commits")
	if err != nil {
		t.Fatal(err)
	}
	var retried int
	for _, cl := range l.clients {
		tag := cl.userTried + 1
		l.patchUser(ctx, cl, tag)
		if cl.userAcked != tag {
			// The first statement on a pooled connection HAProxy just cut.
			retried++
			l.patchUser(ctx, cl, tag+1)
		}
	}
	after, err := victim.counter(ctx, "wsrep_local_commits")
	if err != nil {
		t.Fatal(err)
	}
	if after-commits < int64(clients) {
		t.Errorf("after the switchover %s committed %d writes, want the %d just sent", victim.addr.Name, after-commits, clients)
	}
	for _, name := range others {
		if out, err := c.ha.command("set server galera_writer/" + name + " state ready"); err != nil || strings.TrimSpace(out) != "" {
			t.Fatalf("haproxy: %q %v", out, err)
		}
	}
	l.check(t)

	t.Logf("killed %s (SIGKILL), the writer, under %d clients through 2 replicas: %d writes answered 2xx, %d failed %v", victim.addr.Name, clients, ok, failed, statuses)
	t.Logf("  outage: first write answered 2xx %s after the kill (%s); the survivors formed a cluster of 2 after %s", round(outage), failover.reply, round(evicted))
	t.Logf("  answers: %s; the slowest: %s", durations(took), slowest.reply)
	t.Logf("  %s restarted: Synced by IST in %s, UP in HAProxy after %s; after a switchover it committed %d writes (%d of %d retried once after HAProxy cut the pooled connections)", victim.addr.Name, round(rejoined), round(inService), after-commits, retried, clients)
}

// testReplicaKilled: one of three replicas is killed (SIGKILL) under a
// write load through HAProxy. Only the requests it was serving fail:
// HAProxy sends new requests to the others (a refused connection is
// dispatched again, the health check takes it out). Nothing is half
// written, and the replica serves again once restarted.
func testReplicaKilled(t *testing.T, c *cluster) {
	const tenant, clients = 14, 6
	c.deploy(t, deployment{replicas: 3, db: "writer"})
	l := newWriteLoad(t, c, tenant, clients, c.scimBase())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	loadCtx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	go func() { l.run(loadCtx); close(loadDone) }()
	defer func() { stopLoad(); <-loadDone }()

	time.Sleep(2 * time.Second)
	victim := c.replicas[1]
	killAt := time.Now()
	victim.proc.kill()
	deadAt := time.Now() // reaped: from here on nothing can reach it
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	if err := c.ha.waitServers(wctx, "retroscim", map[string]string{victim.name: "DOWN"}); err != nil {
		t.Errorf("HAProxy did not take %s out: %v", victim.name, err)
	}
	wcancel()
	down := time.Since(killAt)
	time.Sleep(2 * time.Second)
	restartAt := time.Now()
	if err := c.startReplica(ctx, victim, "writer"); err != nil {
		t.Fatal(err)
	}
	if err := c.ha.waitServers(ctx, "retroscim", map[string]string{victim.name: "UP"}); err != nil {
		t.Fatal(err)
	}
	upAt := time.Now()
	time.Sleep(time.Second)
	stopLoad()
	<-loadDone

	ok, failed, statuses, took := l.summary()
	var late []string
	servedAgain := 0
	for _, r := range l.results() {
		end := r.start.Add(r.took)
		if !r.ok() && !(r.start.Before(deadAt) && end.After(killAt)) {
			late = append(late, fmt.Sprintf("started %s after the kill: %s", round(r.start.Sub(killAt)), r))
		}
		if r.ok() && r.servedBy == victim.name && r.start.After(upAt) {
			servedAgain++
		}
	}
	if len(late) > 0 {
		t.Errorf("%d requests failed that %s was not serving when it was killed:\n%s", len(late), victim.name, strings.Join(late, "\n"))
	}
	if failed > clients {
		t.Errorf("%d requests failed; at most %d (one per client) were in flight", failed, clients)
	}
	if servedAgain == 0 {
		t.Errorf("%s served nothing after it was restarted", victim.name)
	}
	l.check(t)
	t.Logf("killed %s (SIGKILL) under %d clients through HAProxy: %d writes answered 2xx, %d failed %v, all of them in flight at the kill", victim.name, clients, ok, failed, statuses)
	t.Logf("  HAProxy marked it DOWN %s after the kill; restarted, it was UP after %s and served %d requests; answers %s", round(down), round(upAt.Sub(restartAt)), servedAgain, durations(took))
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// fileFrom reads a file from offset on.
func fileFrom(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < offset {
		return ""
	}
	return string(b[offset:])
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
