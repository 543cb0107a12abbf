package adapter

import (
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
)

var benchProfilesOnce sync.Once

// benchProfiles adds user_profiles (profilesSQL's table) to the bench
// database, one row per user, unless it is there already.
func benchProfiles(b *testing.B, dsn string) {
	b.Helper()
	var err error
	benchProfilesOnce.Do(func() {
		var db *sql.DB
		if db, err = sql.Open("mysql", dsn); err != nil {
			return
		}
		defer db.Close()
		if _, err = db.Exec("CREATE TABLE IF NOT EXISTS user_profiles (user_id BIGINT UNSIGNED NOT NULL PRIMARY KEY, nickname VARCHAR(60) NULL)"); err != nil {
			return
		}
		var n int
		if err = db.QueryRow("SELECT COUNT(*) FROM user_profiles").Scan(&n); err != nil || n > 0 {
			return
		}
		if _, err = db.Exec("INSERT INTO user_profiles (user_id, nickname) SELECT id, CONCAT('nick', id) FROM users"); err != nil {
			return
		}
		_, err = db.Exec("ANALYZE TABLE user_profiles")
	})
	if err != nil {
		b.Fatalf("bench user_profiles: %v", err)
	}
}

// BenchmarkGetUserRelated is BenchmarkGetUser with one attribute read from
// a related row (nickName from user_profiles): still one statement per
// request, the value a correlated subquery on the profile's primary key.
func BenchmarkGetUserRelated(b *testing.B) {
	benchProfiles(b, benchDatabase(b))
	hs, _ := benchServerWith(b, withNickname(b))
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := randomSSOUser()
			body := benchGet(b, fmt.Sprintf("%s/scim/v2/Users/%d", hs.URL, id))
			if want := fmt.Sprintf(`"nickName":"nick%d"`, id); !strings.Contains(string(body), want) {
				b.Fatalf("user %d: no %s in %s", id, want, body)
			}
		}
	})
}
