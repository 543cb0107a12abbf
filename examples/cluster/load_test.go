package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeLoad is what Okta does all day, by several clients at once: each
// client owns one user and one group and sends, in turn, a PATCH of the
// user that sets three attributes to the same tag, and a PATCH of the group
// that renames it to a tag and adds or removes one member with it (added
// when the tag's number is odd, removed when it is even). Whatever
// happens to the servers, the data must never show half of one PATCH: the
// three attributes of a user always carry the same tag, and a group's
// member is there exactly when its name's number is odd.
type writeLoad struct {
	c       *cluster
	tenant  int
	base    string
	token   string
	clients []*loadClient

	mu      sync.Mutex
	replies []loadReply
}

// loadClient is one client's resources and how far its writes got.
type loadClient struct {
	n                         int
	userFinal, groupFinal     int    // the tags the database holds at the end
	user, group, member       string // SCIM ids
	groupKey                  int64
	userTried, userAcked      int // the last tag sent, the last one answered 2xx
	groupTried, groupAcked    int
	userAckedAll, groupAckAll []int // every tag answered 2xx
}

// loadReply is one request of the load.
type loadReply struct {
	reply
	client int
	what   string // "user" or "group"
	tag    int
}

func (r loadReply) String() string {
	return fmt.Sprintf("client %d, %s tag %d: %s", r.client, r.what, r.tag, r.reply)
}

const (
	enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	loadTitle  = "title"
)

// newWriteLoad creates tenant's users and groups for clients.
func newWriteLoad(t *testing.T, c *cluster, tenant, clients int, base string) *writeLoad {
	c.newTenant(t, tenant, fmt.Sprintf("Load Corp %d", tenant))
	c.insertUsers(t, tenant, "load", 2*clients, 0)
	ids := c.userIDs(t, tenant, "load%")
	l := &writeLoad{c: c, tenant: tenant, base: base, token: c.token(t, tenant)}
	for i := 0; i < clients; i++ {
		res := c.exec(t, "INSERT INTO app.roles (org_id, name) VALUES (?, ?)", tenant, fmt.Sprintf("load-%d-0", i))
		key, _ := res.LastInsertId()
		l.clients = append(l.clients, &loadClient{
			n:        i,
			user:     ids[fmt.Sprintf("load%05d@t%d.test", 2*i, tenant)],
			member:   ids[fmt.Sprintf("load%05d@t%d.test", 2*i+1, tenant)],
			group:    strconv.FormatInt(key, 10),
			groupKey: key,
		})
	}
	return l
}

// run sends the load until ctx ends.
func (l *writeLoad) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, cl := range l.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// After a failed request a client waits a little, as Okta
			// does, instead of hammering a server that is in trouble.
			pause := func(failed bool) {
				if failed {
					select {
					case <-ctx.Done():
					case <-time.After(100 * time.Millisecond):
					}
				}
			}
			for tag := 1; ctx.Err() == nil; tag++ {
				pause(!l.patchUser(ctx, cl, tag))
				if ctx.Err() != nil {
					return
				}
				pause(!l.patchGroup(ctx, cl, tag))
			}
		}()
	}
	wg.Wait()
}

// patchUser sends the user PATCH of tag and reports whether it got 2xx.
func (l *writeLoad) patchUser(ctx context.Context, cl *loadClient, tag int) bool {
	v := fmt.Sprintf("load-%d-%d", cl.n, tag)
	body := fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"replace","path":"title","value":%q},{"op":"replace","path":"%s:department","value":%q},{"op":"replace","path":"name.givenName","value":%q}]}`, patchOp, v, enterprise, v, v)
	cl.userTried = tag
	r := l.c.do(context.WithoutCancel(ctx), http.MethodPatch, l.base+"/Users/"+cl.user, l.token, body)
	if r.ok() {
		cl.userAcked = tag
		cl.userAckedAll = append(cl.userAckedAll, tag)
	}
	l.record(loadReply{reply: r, client: cl.n, what: "user", tag: tag})
	return r.ok()
}

// patchGroup sends the group PATCH of tag and reports whether it got 2xx.
func (l *writeLoad) patchGroup(ctx context.Context, cl *loadClient, tag int) bool {
	member := fmt.Sprintf(`{"op":"remove","path":"members[value eq \"%s\"]"}`, cl.member)
	if tag%2 == 1 {
		member = fmt.Sprintf(`{"op":"add","path":"members","value":[{"value":%q}]}`, cl.member)
	}
	// Okta's group push: the name (with the id repeated), then the members.
	body := fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"replace","value":{"id":%q,"displayName":"load-%d-%d"}},%s]}`, patchOp, cl.group, cl.n, tag, member)
	cl.groupTried = tag
	r := l.c.do(context.WithoutCancel(ctx), http.MethodPatch, l.base+"/Groups/"+cl.group, l.token, body)
	if r.ok() {
		cl.groupAcked = tag
		cl.groupAckAll = append(cl.groupAckAll, tag)
	}
	l.record(loadReply{reply: r, client: cl.n, what: "group", tag: tag})
	return r.ok()
}

func (l *writeLoad) record(r loadReply) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.replies = append(l.replies, r)
}

// results returns the requests so far, in the order they started.
func (l *writeLoad) results() []loadReply {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]loadReply(nil), l.replies...)
	sort.Slice(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

// firstSuccessAfter is the first 2xx answer to a request sent after at.
func (l *writeLoad) firstSuccessAfter(at time.Time) (loadReply, bool) {
	var best loadReply
	found := false
	for _, r := range l.results() {
		if r.ok() && r.start.After(at) && (!found || r.start.Add(r.took).Before(best.start.Add(best.took))) {
			best, found = r, true
		}
	}
	return best, found
}

// tagOf reads the number out of "load-<client>-<tag>".
func tagOf(v string) int {
	i := strings.LastIndexByte(v, '-')
	n, err := strconv.Atoi(v[i+1:])
	if err != nil {
		return -1
	}
	return n
}

// check verifies, on every node, that each client's acknowledged writes
// are there and that no PATCH was applied in part, and that the audit
// trail records exactly the writes that happened.
func (l *writeLoad) check(t *testing.T) {
	t.Helper()
	for _, n := range l.c.nodes {
		for _, cl := range l.clients {
			var title, dept, given, name string
			var member int
			err := n.db.QueryRow(`SELECT COALESCE(u.job_title, ''), COALESCE(u.department, ''), COALESCE(u.first_name, ''), r.name,
				(SELECT COUNT(*) FROM app.user_roles m WHERE m.role_id = r.id AND m.user_id = ?)
				FROM app.users u, app.roles r WHERE u.id = ? AND r.id = ?`, cl.member, cl.user, cl.groupKey).Scan(&title, &dept, &given, &name, &member)
			if err != nil {
				t.Fatalf("%s: %v", n.addr.Name, err)
			}
			where := fmt.Sprintf("%s, client %d", n.addr.Name, cl.n)
			if title != dept || title != given {
				t.Errorf("%s: half of a user PATCH applied: title %q, department %q, givenName %q", where, title, dept, given)
			}
			ut, gt := tagOf(title), tagOf(name)
			checkTag(t, where+" user", ut, cl.userAcked, cl.userTried)
			checkTag(t, where+" group", gt, cl.groupAcked, cl.groupTried)
			if n == l.c.nodes[0] {
				cl.userFinal, cl.groupFinal = ut, gt
			} else if ut != cl.userFinal || gt != cl.groupFinal {
				t.Errorf("%s: the nodes disagree: user tag %d, group tag %d on %s; %d and %d on %s", where, ut, gt, n.addr.Name, cl.userFinal, cl.groupFinal, l.c.nodes[0].addr.Name)
			}
			if want := gt % 2; member != want {
				t.Errorf("%s: half of a group PATCH applied: the group is named %q but has %d of its member (want %d)", where, name, member, want)
			}
		}
	}
	l.checkAudit(t)
}

// checkTag: the value a resource holds is the last acknowledged write or a
// later one that was sent (whose answer was lost or an error, and which may
// have committed all the same), never an earlier one.
func checkTag(t *testing.T, where string, got, acked, tried int) {
	t.Helper()
	if got < acked {
		t.Errorf("%s: an acknowledged write is lost: it holds tag %d, but tag %d was answered 2xx", where, got, acked)
	}
	if got > tried {
		t.Errorf("%s: holds tag %d, which was never sent (last %d)", where, got, tried)
	}
}

// auditEntry is one line of `retroscim audit --json`.
type auditEntry struct {
	Resource  string          `json:"resource"`
	ID        string          `json:"id"`
	Op        string          `json:"op"`
	RequestID string          `json:"request_id"`
	Changes   json.RawMessage `json:"changes"`
}

// checkAudit reads the audit trail (retroscim audit --json), which records
// each write in the transaction of the write, and checks that every
// acknowledged write is recorded once, that the last recorded write of each
// resource is the state it is in, and that no request in the whole history
// applied half of a PATCH. The data alone cannot show the last: the next
// PATCH of a client puts a group's member right again.
func (l *writeLoad) checkAudit(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := l.c.cli(ctx, "audit", "--since", "1h", "--tenant", strconv.Itoa(l.tenant), "--limit", "1000000", "--json")
	if err != nil {
		t.Fatalf("retroscim audit: %v\n%s", err, out)
	}
	recorded := map[string][]int{}         // "User 12" -> tags in order
	requests := map[string][]*groupWrite{} // "Group 7" -> its requests in order
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e auditEntry
		if line == "" {
			continue
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.RequestID == "" {
			t.Fatalf("audit line %q: %v (want resource, id, op, request_id, changes)", line, err)
		}
		key := e.Resource + " " + e.ID
		if e.Resource == "Group" {
			rs := requests[key]
			if len(rs) == 0 || rs[len(rs)-1].request != e.RequestID {
				rs = append(rs, &groupWrite{request: e.RequestID, tag: -1})
				requests[key] = rs
			}
			w := rs[len(rs)-1]
			if e.Op == "members" {
				var m struct{ Added, Removed []string }
				if json.Unmarshal(e.Changes, &m) != nil {
					t.Fatalf("audit changes %s", e.Changes)
				}
				w.added, w.removed = append(w.added, m.Added...), append(w.removed, m.Removed...)
			}
		}
		if e.Op != "update" {
			continue
		}
		var diff []struct {
			Attribute string `json:"attribute"`
			After     any    `json:"after"`
		}
		if json.Unmarshal(e.Changes, &diff) != nil {
			t.Fatalf("audit changes %s", e.Changes)
		}
		after := map[string]string{}
		for _, d := range diff {
			if s, ok := d.After.(string); ok {
				after[d.Attribute] = s
			}
		}
		switch e.Resource {
		case "User":
			if v := after[loadTitle]; v != "" {
				recorded[key] = append(recorded[key], tagOf(v))
				if after["name.givenName"] != v || after[enterprise+":department"] != v {
					t.Errorf("audit: request %s wrote half of a user PATCH: %v", e.RequestID, after)
				}
			}
		case "Group":
			if v := after["displayName"]; v != "" {
				recorded[key] = append(recorded[key], tagOf(v))
				requests[key][len(requests[key])-1].tag = tagOf(v)
			}
		}
	}
	for _, cl := range l.clients {
		for _, r := range []struct {
			key   string
			acked []int
			final int
		}{{"User " + cl.user, cl.userAckedAll, cl.userFinal}, {"Group " + cl.group, cl.groupAckAll, cl.groupFinal}} {
			tags := recorded[r.key]
			count := map[int]int{}
			for _, tag := range tags {
				count[tag]++
			}
			for tag, n := range count {
				if n > 1 {
					t.Errorf("audit: %s tag %d recorded %d times", r.key, tag, n)
				}
			}
			for _, tag := range r.acked {
				if count[tag] == 0 {
					t.Errorf("audit: %s tag %d was acknowledged but is not recorded", r.key, tag)
				}
			}
			last := 0 // the tag a resource starts with
			if len(tags) > 0 {
				last = tags[len(tags)-1]
			}
			if last != r.final {
				t.Errorf("audit: the writes recorded for %s end with %v, but it holds tag %d", r.key, tail(tags, 5), r.final)
			}
		}
		// Replay the group's history: after each request that renamed it
		// to tag n, the member must be there exactly when n is odd.
		member := 0
		for _, w := range requests["Group "+cl.group] {
			if contains(w.added, cl.member) {
				member = 1
			}
			if contains(w.removed, cl.member) {
				member = 0
			}
			if w.tag >= 0 && member != w.tag%2 {
				t.Errorf("audit: request %s applied half of a group PATCH: it renamed group %s to tag %d but left its member %s", w.request, cl.group, w.tag, map[int]string{0: "out", 1: "in"}[member])
			}
		}
	}
}

// groupWrite is what one request recorded for a group.
type groupWrite struct {
	request        string
	tag            int // the tag it renamed the group to; -1 for none
	added, removed []string
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// summary describes the load: requests, failures by status, latencies.
func (l *writeLoad) summary() (ok, failed int, statuses map[string]int, took []time.Duration) {
	statuses = map[string]int{}
	for _, r := range l.results() {
		took = append(took, r.took)
		if r.ok() {
			ok++
			continue
		}
		failed++
		if r.err != nil {
			statuses["transport error"]++
		} else {
			statuses[strconv.Itoa(r.status)]++
		}
	}
	return ok, failed, statuses, took
}

func tail(s []int, n int) []int {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
