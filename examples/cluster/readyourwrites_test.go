package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// testReadYourWrites: Okta and Entra read a user straight back after
// creating it. Here each POST goes to one replica and the GET by id and
// the `userName eq` lookup that follow at once go to the other; both
// replicas write and read through every Galera node (galera_all). A node
// applies the write sets of the others a little after they commit, so a
// read there can miss a user that was just created elsewhere; with
// wsrep_sync_wait=1 in the DSN, a read first waits until the node has
// applied everything committed before it began.
func testReadYourWrites(t *testing.T, c *cluster) {
	const tenant, users = 12, 80
	c.deploy(t, deployment{replicas: 2, db: "all"})
	c.newTenant(t, tenant, "Read Corp")
	token := c.token(t, tenant)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The app itself keeps the nodes' appliers busy meanwhile: a batch job
	// rewriting a few thousand of its rows at a time, as apps do.
	c.newTenant(t, tenant+100, "Batch Corp")
	c.insertUsers(t, tenant+100, "batch", 3000, 0)
	batch, stopBatch := context.WithCancel(ctx)
	batchDone := make(chan int)
	go func() {
		n := 0
		for batch.Err() == nil {
			if _, err := c.root.ExecContext(batch, "UPDATE app.users SET job_title = ? WHERE org_id = ?", fmt.Sprint("batch ", n), tenant+100); err == nil {
				n++
			}
		}
		batchDone <- n
	}()

	var misses []string
	var created, byID, byName []time.Duration
	for i := 0; i < users; i++ {
		writer, reader := c.replicas[i%2], c.replicas[1-i%2]
		login := fmt.Sprintf("ryw%03d@t%d.test", i, tenant)
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"name":{"givenName":"Read","familyName":"Write"},"emails":[{"primary":true,"type":"work","value":%q}],"active":true}`, login, login)
		post := c.do(ctx, http.MethodPost, writer.base()+"/scim/v2/Users", token, body).must(t, http.StatusCreated)
		created = append(created, post.took)
		id, _ := post.object(t)["id"].(string)
		get := c.do(ctx, http.MethodGet, reader.base()+"/scim/v2/Users/"+url.PathEscape(id), token, "")
		byID = append(byID, get.took)
		if get.status != http.StatusOK {
			misses = append(misses, fmt.Sprintf("GET /Users/%s via %s right after POST via %s: %s", id, reader.name, writer.name, get))
		}
		filter := url.QueryEscape(fmt.Sprintf("userName eq %q", login))
		lookup := c.do(ctx, http.MethodGet, reader.base()+"/scim/v2/Users?filter="+filter, token, "")
		byName = append(byName, lookup.took)
		var page listPage
		if lookup.status != http.StatusOK || json.Unmarshal(lookup.body, &page) != nil || page.TotalResults != 1 || len(page.Resources) != 1 || page.Resources[0].ID != id {
			misses = append(misses, fmt.Sprintf("userName eq %q via %s right after POST via %s: %s", login, reader.name, writer.name, lookup))
		}
	}
	stopBatch()
	batches := <-batchDone
	if len(misses) > 0 {
		t.Errorf("%d of %d reads straight after a write on the other replica missed it:\n%s", len(misses), 2*users, strings.Join(misses, "\n"))
	}
	t.Logf("%d users created through one replica and read back through the other (while the app rewrote 3,000 rows %d times): POST %s; GET by id %s; userName eq %s", users, batches, durations(created), durations(byID), durations(byName))
}
