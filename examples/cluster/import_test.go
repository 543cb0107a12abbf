package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// importPage is one page of an import as the client and the database saw it.
type importPage struct {
	startIndex int
	reply      reply
	page       listPage
	// rowsRead is how many index entries the nodes read for the page
	// (Handler_read_next over the three nodes): what the page cost.
	rowsRead int64
}

// importUsers pages through /Users as Okta's import does (startIndex 1,
// 101, 201, … with count 100) until startIndex passes totalResults.
func (c *cluster) importUsers(t *testing.T, base, token string, count int) []importPage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var pages []importPage
	for start := 1; ; start += count {
		before := c.sum(t, "Handler_read_next")
		r := c.do(ctx, http.MethodGet, fmt.Sprintf("%s/Users?startIndex=%d&count=%d", base, start, count), token, "").must(t, http.StatusOK)
		p := importPage{startIndex: start, reply: r, rowsRead: c.sum(t, "Handler_read_next") - before}
		if err := json.Unmarshal(r.body, &p.page); err != nil {
			t.Fatalf("page at %d: %v", start, err)
		}
		pages = append(pages, p)
		if start+count > p.page.TotalResults || len(p.page.Resources) == 0 {
			return pages
		}
	}
}

// testImport: an Okta import through HAProxy, whose round robin sends each
// page to another replica than the previous one. Every in-scope user comes
// exactly once, totalResults is right on every page, and the cost of a
// page does not grow with startIndex: a replica that did not serve the
// previous page continues from the last position it remembers, two pages
// back, and skips the rest with a short OFFSET.
func testImport(t *testing.T, c *cluster) {
	const tenant, users, local, count = 10, 10000, 400, 100
	c.deploy(t, deployment{replicas: 3, db: "writer"})
	c.newTenant(t, tenant, "Import Corp")
	c.insertUsers(t, tenant, "imp", users, local)
	want := c.ids(t, c.root, "SELECT id FROM app.users WHERE org_id = ? AND auth_source = 'saml' ORDER BY id", tenant)
	token := c.token(t, tenant)

	// What reading the counters costs, to tell it from a page's cost.
	before := c.sum(t, "Handler_read_next")
	noise := c.sum(t, "Handler_read_next") - before

	rr := c.importUsers(t, c.scimBase(), token, count)
	checkImport(t, "through HAProxy", rr, want)
	servedBy := map[string]int{}
	for _, p := range rr {
		servedBy[p.reply.servedBy]++
	}
	if len(servedBy) != 3 {
		t.Errorf("the import's pages were served by %v, want all three replicas in turn", servedBy)
	}
	for i := 1; i < len(rr); i++ {
		if rr[i].reply.servedBy == rr[i-1].reply.servedBy {
			t.Errorf("pages at %d and %d were both served by %s: HAProxy's round robin should alternate", rr[i-1].startIndex, rr[i].startIndex, rr[i].reply.servedBy)
			break
		}
	}

	// The first page on each replica counts the list; from then on a page
	// must cost the same at the end of the list as at its start.
	fifth := len(rr) / 5
	early, late := rowsRead(rr[3:3+fifth]), rowsRead(rr[len(rr)-fifth:])
	if median(late) > 2*median(early)+100 {
		t.Errorf("a page near the end of the list read %d index entries (median of the last %d pages), the pages near its start %d: the cost of a page grows with startIndex", median(late), fifth, median(early))
	}

	// The same import sent to one replica: each page continues from the
	// previous one.
	sticky := c.importUsers(t, c.replicas[0].base()+"/scim/v2", token, count)
	checkImport(t, "to one replica", sticky, want)

	t.Logf("import of %d users (%d local accounts left out), %d pages of %d, reading the counters costs %d index entries:", users, local, len(rr), count, noise)
	t.Logf("  round robin over 3 replicas through HAProxy: pages %s; index entries read per page: median %d at the start, %d at the end", durations(pageTimes(rr[3:])), median(early), median(late))
	t.Logf("  every page to one replica:                   pages %s; index entries read per page: median %d", durations(pageTimes(sticky)), median(rowsRead(sticky)))
	t.Logf("  the first page on each replica, with its COUNT(*): %s, %s, %s", round(rr[0].reply.took), round(rr[1].reply.took), round(rr[2].reply.took))
}

// checkImport checks that an import returned every wanted id exactly once
// with the right totalResults on every page.
func checkImport(t *testing.T, how string, pages []importPage, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, p := range pages {
		if p.page.TotalResults != len(want) {
			t.Errorf("import %s: page at %d says totalResults %d, want %d", how, p.startIndex, p.page.TotalResults, len(want))
		}
		if p.page.StartIndex != p.startIndex {
			t.Errorf("import %s: page at %d says startIndex %d", how, p.startIndex, p.page.StartIndex)
		}
		for _, r := range p.page.Resources {
			seen[r.ID]++
		}
	}
	var missing, twice int
	for _, id := range want {
		if seen[id] == 0 {
			missing++
		}
		if seen[id] > 1 {
			twice++
		}
		delete(seen, id)
	}
	if missing > 0 || twice > 0 || len(seen) > 0 {
		t.Errorf("import %s: %d in-scope users missing, %d listed more than once, %d listed that are not in scope", how, missing, twice, len(seen))
	}
}

func rowsRead(pages []importPage) []int64 {
	out := make([]int64, len(pages))
	for i, p := range pages {
		out[i] = p.rowsRead
	}
	return out
}

func pageTimes(pages []importPage) []time.Duration {
	out := make([]time.Duration, len(pages))
	for i, p := range pages {
		out[i] = p.reply.took
	}
	return out
}
