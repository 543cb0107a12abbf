package cluster

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// exec runs statements through galera_writer as root.
func (c *cluster) exec(t *testing.T, query string, args ...any) sql.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.root.ExecContext(ctx, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return res
}

// newTenant creates an organization of the sample app.
func (c *cluster) newTenant(t *testing.T, org int, name string) {
	t.Helper()
	c.exec(t, "INSERT INTO app.organizations (id, name) VALUES (?, ?)", org, name)
}

// insertUsers adds n users SSO created (auth_source saml, SCIM's scope)
// to org, with logins prefix00000@…, and after every
// n/local of them one local account (outside the scope). Every 20th SSO
// user is deactivated: it stays in SCIM lists.
func (c *cluster) insertUsers(t *testing.T, org int, prefix string, n, local int) {
	t.Helper()
	every := n + 1
	if local > 0 {
		every = n / local
	}
	var rows []string
	var args []any
	flush := func() {
		if len(rows) == 0 {
			return
		}
		c.exec(t, "INSERT INTO app.users (org_id, login, email, first_name, last_name, display_name, okta_id, auth_source, is_active) VALUES "+strings.Join(rows, ", "), args...)
		rows, args = rows[:0], args[:0]
	}
	add := func(login, source string, active int) {
		rows = append(rows, "(?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, org, login, login, "Given "+login, "Family", "User "+login, "00u"+login, source, active)
		if len(rows) == 1000 {
			flush()
		}
	}
	for i := 0; i < n; i++ {
		active := 1
		if i%20 == 19 {
			active = 0
		}
		add(fmt.Sprintf("%s%05d@t%d.test", prefix, i, org), "saml", active)
		if local > 0 && i%every == every-1 {
			add(fmt.Sprintf("%s-local%05d@t%d.test", prefix, i, org), "local", 1)
		}
	}
	flush()
}

// ids runs a query of one column and returns its values as SCIM ids.
func (c *cluster) ids(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// userIDs maps the logins of org's users to their SCIM ids.
func (c *cluster) userIDs(t *testing.T, org int, loginLike string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := c.root.QueryContext(ctx, "SELECT login, id FROM app.users WHERE org_id = ? AND login LIKE ?", org, loginLike)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var login, id string
		if err := rows.Scan(&login, &id); err != nil {
			t.Fatal(err)
		}
		out[login] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sum adds up a numeric status variable over the nodes.
func (c *cluster) sum(t *testing.T, name string) int64 {
	t.Helper()
	var total int64
	for _, n := range c.nodes {
		if !n.proc.running() {
			continue
		}
		v, err := n.counter(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		total += v
	}
	return total
}

// perNode reads a numeric status variable of each node.
func (c *cluster) perNode(t *testing.T, name string) []int64 {
	t.Helper()
	out := make([]int64, len(c.nodes))
	for i, n := range c.nodes {
		v, err := n.counter(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = v
	}
	return out
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Slice(out, func(i, j int) bool {
		a, errA := strconv.Atoi(out[i])
		b, errB := strconv.Atoi(out[j])
		if errA == nil && errB == nil {
			return a < b
		}
		return out[i] < out[j]
	})
	return out
}

// durations summarises latencies: median, 95th percentile and maximum.
func durations(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	p := func(q float64) time.Duration { return s[int(q*float64(len(s)-1))] }
	return fmt.Sprintf("median %s, p95 %s, max %s", round(p(0.5)), round(p(0.95)), round(s[len(s)-1]))
}

func round(d time.Duration) time.Duration {
	switch {
	case d > 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d > 100*time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}

func median(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]int64(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
