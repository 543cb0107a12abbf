package legacy

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/legacy/tempdb"
)

// TestCharsetSource names the DSN parameter that chose a character set,
// and never quotes the rest of the DSN.
func TestCharsetSource(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"app:s3cret?charset=@tcp(db:3306)/app?charset=gbk", "the DSN parameter charset=gbk"},
		{"app:pw@tcp(db:3306)/app?character_set_client=big5&parseTime=true", "the DSN parameter character_set_client=big5"},
		{"app:pw@tcp(db:3306)/app", "the server: its init_connect, or character-set-client-handshake=OFF"},
	}
	for _, tt := range tests {
		cfg, err := mysql.ParseDSN(tt.dsn)
		if err != nil {
			t.Fatal(err)
		}
		if got := charsetSource(cfg); got != tt.want {
			t.Errorf("charsetSource(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

// TestCharsetFromServer: the server, not the DSN, can choose the
// character set (init_connect runs SET NAMES for every account without
// CONNECTION ADMIN). Connections opened after it does are refused, so the
// store answers ErrUnavailable rather than run a statement on one; and a
// new store refuses to start, saying where to look, without the password.
// The test runs its own throwaway MariaDB: init_connect is global.
func TestCharsetFromServer(t *testing.T) {
	srv, err := tempdb.Start(context.Background(), tempdb.Options{})
	if errors.Is(err, tempdb.ErrNotInstalled) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	root, err := sql.Open("mysql", srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, st := range []string{
		"CREATE DATABASE app",
		"CREATE TABLE app.people (id INT PRIMARY KEY, login VARCHAR(20))",
		"INSERT INTO app.people VALUES (1, 'ann')",
		"CREATE USER 'scim'@'127.0.0.1' IDENTIFIED BY 'pa55word'",
		"GRANT ALL ON app.* TO 'scim'@'127.0.0.1'",
	} {
		if _, err := root.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	dsn := strings.Replace(srv.DSN(), "root@", "scim:pa55word@", 1) + "app"
	s, err := Open(context.Background(), dsn, Options{QueryTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	get := func() error {
		_, err := s.Get(context.Background(), sqlstmt.Select{From: "`people`", Columns: []string{"`login`"}, Where: sqlstmt.Cond("`id` = ?", 1)})
		return err
	}
	if err := get(); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Exec("SET GLOBAL init_connect = 'SET NAMES gbk'"); err != nil {
		t.Fatal(err)
	}
	s.DB().SetMaxIdleConns(0) // the next read opens a new connection
	err = get()
	var ce *CharsetError
	if !errors.As(err, &ce) || !errors.Is(err, ErrUnavailable) {
		t.Errorf("read over a new gbk connection = %v, want CharsetError and ErrUnavailable", err)
	}
	_, err = Open(context.Background(), dsn, Options{QueryTimeout: time.Second})
	switch {
	case !errors.As(err, &ce):
		t.Errorf("Open with init_connect SET NAMES gbk = %v, want CharsetError", err)
	case !strings.Contains(err.Error(), "init_connect"):
		t.Errorf("the start-up error does not point at init_connect: %v", err)
	case strings.Contains(err.Error(), "pa55word"):
		t.Errorf("the start-up error quotes the password: %v", err)
	}
	// retroscim check opens its store tolerating the character set, to
	// report it with everything else.
	c, err := Open(context.Background(), dsn, Options{QueryTimeout: time.Second, TolerateUnsafeCharset: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.UnsafeCharset(); got == nil || got.Charset != "gbk" {
		t.Errorf("UnsafeCharset() = %v, want gbk", got)
	}
}
