package adapter

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// Benchmarks run against a database of benchRows users in the sample
// schema (tenant 1, 1 in 50 rows a local account outside the scope). It is
// built once, kept as retroscim_bench (RETROSCIM_BENCH_DB to change), and
// reused while its row count matches.
const benchRows = 1_000_000

// benchGroupSize is the membership of the large group in the bench data.
const benchGroupSize = 10_000

var (
	benchOnce sync.Once
	benchDSN  string
	benchErr  error
)

func benchDatabase(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() { benchDSN, benchErr = buildBenchDatabase() })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDSN
}

func buildBenchDatabase() (string, error) {
	name := os.Getenv("RETROSCIM_BENCH_DB")
	if name == "" {
		name = "retroscim_bench"
	}
	server, err := mysql.ParseDSN(legacytest.ServerDSN())
	if err != nil {
		return "", err
	}
	cfg := server.Clone()
	cfg.DBName = name
	cfg.MultiStatements = true
	admin, err := sql.Open("mysql", server.FormatDSN())
	if err != nil {
		return "", err
	}
	defer admin.Close()
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return "", err
	}
	defer db.Close()
	var n, members int
	if err := db.QueryRow("SELECT COUNT(*), (SELECT COUNT(*) FROM user_roles) FROM users").Scan(&n, &members); err == nil && n == benchRows+9 && members > benchGroupSize {
		cfg.MultiStatements = false
		return cfg.FormatDSN(), nil
	}
	schema, err := os.ReadFile("../examples/sample/schema.sql")
	if err != nil {
		return "", err
	}
	if _, err := admin.Exec("DROP DATABASE IF EXISTS `" + name + "`"); err != nil {
		return "", err
	}
	if _, err := admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4"); err != nil {
		return "", err
	}
	if _, err := db.Exec(string(schema)); err != nil {
		return "", err
	}
	const batch = 5000
	for start := 100; start < benchRows+100; start += batch {
		var b strings.Builder
		b.WriteString("INSERT INTO users (id, org_id, login, email, first_name, last_name, display_name, department, okta_id, auth_source, is_active, created_at, updated_at) VALUES ")
		for i := start; i < start+batch && i < benchRows+100; i++ {
			if i > start {
				b.WriteByte(',')
			}
			src := "saml"
			if i%50 == 0 {
				src = "local"
			}
			fmt.Fprintf(&b, "(%d,1,'user%07d@bench.test','user%07d@bench.test','Given%d','Family%d','User %d','Dept %d','00ub%016d','%s',%d,'2024-01-01 00:00:00','2024-06-01 00:00:00.000000')",
				i, i, i, i%997, i%1009, i, i%40, i, src, 1-(i%7)/6)
		}
		if _, err := db.Exec(b.String()); err != nil {
			return "", fmt.Errorf("fill bench database: %w", err)
		}
	}
	// Role 2 (Analyst) gets benchGroupSize members.
	if _, err := db.Exec(fmt.Sprintf("INSERT INTO user_roles (user_id, role_id) SELECT id, 2 FROM users WHERE auth_source = 'saml' AND org_id = 1 AND id >= 100 ORDER BY id LIMIT %d", benchGroupSize)); err != nil {
		return "", err
	}
	if _, err := db.Exec("ANALYZE TABLE users, user_roles"); err != nil {
		return "", err
	}
	cfg.MultiStatements = false
	return cfg.FormatDSN(), nil
}

// benchServer serves the shipped config.yaml over the bench database.
func benchServer(b *testing.B) (*httptest.Server, *mapping.Config) {
	b.Helper()
	src, err := os.ReadFile("../config.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return benchServerWith(b, string(src))
}

// benchServerWith serves the configuration src over the bench database.
func benchServerWith(b *testing.B, src string) (*httptest.Server, *mapping.Config) {
	b.Helper()
	dsn := benchDatabase(b)
	os.Setenv("RETROSCIM_TOKEN", testToken)
	os.Setenv("RETROSCIM_DSN", dsn)
	cfg, err := mapping.Parse("config.yaml", []byte(src))
	if err != nil {
		b.Fatal(err)
	}
	store, err := legacy.Open(context.Background(), dsn, legacy.Options{MaxOpenConns: 32})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	if err := BindSchema(context.Background(), cfg, store); err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(New(cfg, store, Options{}))
	b.Cleanup(hs.Close)
	return hs, cfg
}

var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}

func benchGet(b *testing.B, url string) []byte {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := benchClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return body
}

// randomSSOUser picks a user inside the scope.
func randomSSOUser() int {
	for {
		if i := 100 + rand.IntN(benchRows); i%50 != 0 {
			return i
		}
	}
}

// BenchmarkGetUser is GET /Users/{id}: one primary-key select, 16 workers.
func BenchmarkGetUser(b *testing.B) {
	hs, _ := benchServer(b)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchGet(b, fmt.Sprintf("%s/scim/v2/Users/%d", hs.URL, randomSSOUser()))
		}
	})
}

// BenchmarkUserNameFilter is Okta's lookup before every push:
// GET /Users?filter=userName eq "...", 16 workers.
func BenchmarkUserNameFilter(b *testing.B) {
	hs, _ := benchServer(b)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			f := q(fmt.Sprintf(`userName eq "USER%07d@bench.test"`, randomSSOUser()))
			body := benchGet(b, hs.URL+"/scim/v2/Users?filter="+f+"&startIndex=1&count=100")
			if !strings.Contains(string(body), `"totalResults":1,`) {
				b.Fatalf("lookup found %s", body)
			}
		}
	})
}

// BenchmarkImportDeepPages pages sequentially with count=100 from
// startIndex 900001, as an Okta import reaches the end of a 1M-user table.
// After the first page each page continues from the remembered key.
func BenchmarkImportDeepPages(b *testing.B) {
	hs, _ := benchServer(b)
	start := 900_001
	benchGet(b, fmt.Sprintf("%s/scim/v2/Users?startIndex=%d&count=100", hs.URL, start))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start += 100
		if start > 975_000 {
			b.StopTimer()
			start = 900_001
			benchGet(b, fmt.Sprintf("%s/scim/v2/Users?startIndex=%d&count=100", hs.URL, start))
			b.StartTimer()
		}
		benchGet(b, fmt.Sprintf("%s/scim/v2/Users?startIndex=%d&count=100", hs.URL, start))
	}
}

// BenchmarkRawOffsetPage is the same deep page read with LIMIT/OFFSET,
// for comparison: what every page would cost without keyset cursors.
func BenchmarkRawOffsetPage(b *testing.B) {
	db := sqlx.MustOpen("mysql", benchDatabase(b)+"?interpolateParams=true&parseTime=true")
	defer db.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows, err := db.Query("SELECT * FROM users WHERE auth_source = ? AND org_id = ? ORDER BY id LIMIT 100 OFFSET 900000", "saml", 1)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
		}
		rows.Close()
	}
}

// BenchmarkBareEchoSQLX is the yardstick: a bare echo handler running the
// very statement GET /Users/{id} runs (same columns, same scope and tenant
// predicate) with sqlx and encoding the row as JSON, with no mapping, auth,
// logging or SCIM rendering. The gap to BenchmarkGetUser is retroscim's own
// overhead.
func BenchmarkBareEchoSQLX(b *testing.B) {
	_, cfg := benchServer(b)
	db := sqlx.MustOpen("mysql", benchDatabase(b)+"?interpolateParams=true&parseTime=true")
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	defer db.Close()
	stmt := "SELECT " + strings.Join(cfg.Users.SelectExprs(), ", ") + " FROM users WHERE `auth_source` = ? AND `org_id` = ? AND `id` = ?"
	e := echo.New()
	e.GET("/Users/:id", func(c echo.Context) error {
		row := map[string]any{}
		if err := db.QueryRowxContext(c.Request().Context(), stmt, "saml", 1, c.Param("id")).MapScan(row); err != nil {
			return err
		}
		for k, v := range row {
			if bs, ok := v.([]byte); ok {
				row[k] = string(bs)
			}
		}
		out, _ := json.Marshal(row)
		return c.Blob(http.StatusOK, "application/json", out)
	})
	hs := httptest.NewServer(e)
	defer hs.Close()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchGet(b, fmt.Sprintf("%s/Users/%d", hs.URL, randomSSOUser()))
		}
	})
}

// BenchmarkGetLargeGroup reads a group of 10,002 members; members are
// streamed from the database into the response.
func BenchmarkGetLargeGroup(b *testing.B) {
	hs, _ := benchServer(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := benchGet(b, hs.URL+"/scim/v2/Groups/2")
		if len(body) < benchGroupSize*80 {
			b.Fatalf("group body is %d bytes", len(body))
		}
	}
}

// BenchmarkPatchAddMembers adds and removes 1,000 members per PATCH.
func BenchmarkPatchAddMembers(b *testing.B) {
	hs, _ := benchServer(b)
	var add []string
	for i := 500_000; len(add) < 1000; i++ {
		if i%50 != 0 {
			add = append(add, fmt.Sprintf(`{"value":"%d"}`, i))
		}
	}
	list := strings.Join(add, ",")
	ops := []string{
		`{"Operations":[{"op":"add","path":"members","value":[` + list + `]}]}`,
		`{"Operations":[{"op":"remove","path":"members","value":[` + list + `]}]}`,
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPatch, hs.URL+"/scim/v2/Groups/3", strings.NewReader(ops[i%2]))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := benchClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			b.Fatalf("PATCH = %d", resp.StatusCode)
		}
	}
}

// BenchmarkPatchMoveMembers adds 1,000 members and removes 1,000 others in
// each PATCH, as Entra does: the two sets trade places from one PATCH to
// the next, on a group the other benchmarks leave alone (Admin), and
// leave it as they found it.
func BenchmarkPatchMoveMembers(b *testing.B) {
	hs, _ := benchServer(b)
	set := func(from int) string {
		var ids []string
		for i := from; len(ids) < 1000; i++ {
			if i%50 != 0 { // multiples of 50 are local accounts, outside the scope
				ids = append(ids, fmt.Sprintf(`{"value":"%d"}`, i))
			}
		}
		return strings.Join(ids, ",")
	}
	a, c := set(600_000), set(700_000)
	move := func(in, out string) string {
		return `{"Operations":[{"op":"add","path":"members","value":[` + in + `]},{"op":"remove","path":"members","value":[` + out + `]}]}`
	}
	patch := func(body string) {
		req, _ := http.NewRequest(http.MethodPatch, hs.URL+"/scim/v2/Groups/1", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := benchClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			b.Fatalf("PATCH = %d", resp.StatusCode)
		}
	}
	ops := []string{move(a, c), move(c, a)}
	b.Cleanup(func() { patch(`{"Operations":[{"op":"remove","path":"members","value":[` + a + `,` + c + `]}]}`) })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		patch(ops[i%2])
	}
}
