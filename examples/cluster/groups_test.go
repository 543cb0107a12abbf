package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// testGroupPatchConflicts: Okta pushes group memberships as PATCHes that
// add members, several at once. Here six clients send them at the same
// moment, through HAProxy to three replicas that write through every
// Galera node (galera_all). Each PATCH adds two members of its own and one
// that all six add in that round, so PATCHes on different nodes write the
// same row: Galera lets the first commit and aborts the others
// (certification failure at COMMIT, or a brute-force abort of a local
// transaction that holds a lock a replicated one needs), both reported as
// a deadlock. retroscim runs such a transaction again, so every PATCH
// succeeds, and every member is there at the end. No answer is 2xx for a
// write that did not commit.
func testGroupPatchConflicts(t *testing.T, c *cluster) {
	const tenant, clients, rounds = 11, 6, 10
	c.deploy(t, deployment{replicas: 3, db: "all"})
	c.newTenant(t, tenant, "Groups Corp")
	c.insertUsers(t, tenant, "grp", clients*rounds*2+rounds, 0)
	users := c.userIDs(t, tenant, "grp%")
	user := func(i int) string { return users[fmt.Sprintf("grp%05d@t%d.test", i, tenant)] }
	res := c.exec(t, "INSERT INTO app.roles (org_id, name) VALUES (?, 'Engineering')", tenant)
	groupKey, _ := res.LastInsertId()
	group := fmt.Sprint(groupKey)
	token := c.token(t, tenant)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	certBefore, bfBefore := c.sum(t, "wsrep_local_cert_failures"), c.sum(t, "wsrep_local_bf_aborts")
	commitsBefore := c.perNode(t, "wsrep_local_commits")
	retriedBefore, _ := c.metric(ctx, "retroscim_db_operation_duration_seconds_count", `op="tx"`, `outcome="conflict"`)

	var mu sync.Mutex
	var replies []reply
	wantMembers := map[string]bool{}
	for r := 0; r < rounds; r++ {
		shared := user(clients*rounds*2 + r)
		var wg sync.WaitGroup
		for w := 0; w < clients; w++ {
			own := []string{user((r*clients + w) * 2), user((r*clients+w)*2 + 1)}
			for _, id := range append(own, shared) {
				wantMembers[id] = true
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Okta's shape: one add operation with the new members.
				body := fmt.Sprintf(`{"schemas":[%q],"Operations":[{"op":"add","path":"members","value":[{"value":%q},{"value":%q},{"value":%q}]}]}`, patchOp, own[0], own[1], shared)
				rep := c.do(ctx, http.MethodPatch, c.scimBase()+"/Groups/"+group, token, body)
				mu.Lock()
				replies = append(replies, rep)
				mu.Unlock()
			}()
		}
		wg.Wait()
	}

	servedBy := map[string]int{}
	var failed []string
	var took []time.Duration
	for _, r := range replies {
		servedBy[r.servedBy]++
		took = append(took, r.took)
		if r.err != nil || r.status != http.StatusNoContent {
			failed = append(failed, r.String())
		}
	}
	if len(failed) > 0 {
		t.Errorf("%d of %d PATCHes did not succeed; retroscim must retry conflicting transactions:\n%s", len(failed), len(replies), strings.Join(failed, "\n"))
	}
	if len(servedBy) != 3 {
		t.Errorf("PATCHes were served by %v, want all three replicas", servedBy)
	}
	commitsAfter := c.perNode(t, "wsrep_local_commits")
	nodesWritten := 0
	for i := range commitsAfter {
		if commitsAfter[i] > commitsBefore[i] {
			nodesWritten++
		}
	}
	if nodesWritten < 2 {
		t.Errorf("the writes were committed on %d node(s) (wsrep_local_commits before %v, after %v), want several", nodesWritten, commitsBefore, commitsAfter)
	}
	cert, bf := c.sum(t, "wsrep_local_cert_failures")-certBefore, c.sum(t, "wsrep_local_bf_aborts")-bfBefore
	retried, _ := c.metric(ctx, "retroscim_db_operation_duration_seconds_count", `op="tx"`, `outcome="conflict"`)
	retried -= retriedBefore
	if cert+bf == 0 {
		t.Errorf("no certification failure or brute-force abort happened: the scenario proved nothing about conflicts")
	}

	// Every member is there, on every node, and retroscim says so.
	for _, n := range c.nodes {
		got := c.ids(t, n.db, "SELECT user_id FROM app.user_roles WHERE role_id = ?", groupKey)
		if diff := diffSets(wantMembers, got); diff != "" {
			t.Errorf("members of the group on %s: %s", n.addr.Name, diff)
		}
	}
	g := c.do(ctx, http.MethodGet, c.scimBase()+"/Groups/"+group, token, "").must(t, http.StatusOK)
	var doc struct {
		Members []struct {
			Value string `json:"value"`
		} `json:"members"`
	}
	if err := json.Unmarshal(g.body, &doc); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range doc.Members {
		listed = append(listed, m.Value)
	}
	if diff := diffSets(wantMembers, listed); diff != "" {
		t.Errorf("GET /Groups/%s members: %s", group, diff)
	}
	t.Logf("%d PATCHes adding %d members in %d rounds of %d at once, served by %v, committed on the nodes %v (wsrep_local_commits)", len(replies), len(wantMembers), rounds, clients, servedBy, deltas(commitsBefore, commitsAfter))
	t.Logf("conflicts: %d certification failures and %d brute-force aborts on the nodes; retroscim ran %.0f transactions again; PATCH %s", cert, bf, retried, durations(took))
}

// diffSets describes how got differs from want: missing and unexpected ids
// and ids listed twice.
func diffSets(want map[string]bool, got []string) string {
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	var missing, extra, twice []string
	for id := range want {
		if seen[id] == 0 {
			missing = append(missing, id)
		}
	}
	for id, n := range seen {
		if !want[id] {
			extra = append(extra, id)
		}
		if n > 1 {
			twice = append(twice, id)
		}
	}
	if len(missing)+len(extra)+len(twice) == 0 {
		return ""
	}
	return fmt.Sprintf("missing %v, unexpected %v, twice %v", sortedCopy(missing), sortedCopy(extra), sortedCopy(twice))
}

func deltas(before, after []int64) []int64 {
	out := make([]int64, len(after))
	for i := range after {
		out[i] = after[i] - before[i]
	}
	return out
}
