package adapter

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

// TestCharsetInjection replays the attack of issue 11: with a multibyte
// connection character set (a DSN ending ?charset=gbk), the driver's
// escaping of an interpolated quote is undone by the server (丿 ends in
// 0xBF, and 0xBF 0x5C is one gbk character), so the filter below closes
// its string and ORs in every row of every tenant. retroscim must refuse
// such a connection at start-up, naming the DSN parameter.
func TestCharsetInjection(t *testing.T) {
	dsn := legacytest.NewDatabase(t, sampleSchema(t))
	store, err := legacy.Open(context.Background(), dsn+"?charset=gbk", legacy.Options{})
	if err == nil {
		// Serve anyway, to show what the refusal prevents.
		defer store.Close()
		cfg, err := mapping.LoadFile("../config.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if err := BindSchema(context.Background(), cfg, store); err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(New(cfg, store, Options{}))
		defer hs.Close()
		req, _ := http.NewRequest(http.MethodGet, hs.URL+cfg.Server.BasePath+"/Users?filter="+q(`userName eq "丿') OR 1=1 -- "`), nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "globex") {
			t.Errorf("SQL injection: tenant 1's filter listed tenant 2's users: %s", body)
		}
		t.Fatalf("Open accepted a connection with charset=gbk (the filter answered %d)", resp.StatusCode)
	}
	var ce *legacy.CharsetError
	if !errors.As(err, &ce) || ce.Charset != "gbk" {
		t.Fatalf("Open with charset=gbk = %v, want a CharsetError for gbk", err)
	}
	for _, want := range []string{"gbk", "the DSN parameter charset=gbk", "utf8mb4"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the start-up error does not say %q: %v", want, err)
		}
	}
	// A safe character set, or a list that starts with one, is fine.
	for _, params := range []string{"?charset=utf8mb4", "?charset=latin1", "?charset=utf8mb4,gbk"} {
		s, err := legacy.Open(context.Background(), dsn+params, legacy.Options{})
		if err != nil {
			t.Errorf("Open with %s: %v", params, err)
			continue
		}
		s.Close()
	}
}
