package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/retroscim/retroscim/adapter"
	"github.com/retroscim/retroscim/examples/sample"
	"github.com/retroscim/retroscim/legacy/tempdb"
	"github.com/retroscim/retroscim/mapping"
)

// demo serves the sample app (or an example) on a throwaway MariaDB that
// lives as long as the command.
func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve SCIM on")
	adminListen := fs.String("admin-listen", "", "address to serve /healthz, /readyz and /metrics on (default: the configuration's server.admin_listen)")
	token := fs.String("token", "", "bearer token to accept (default: a random one)")
	configPath := fs.String("config", "", "serve this configuration instead of the sample app; its schema.sql is loaded from the same directory")
	verbose := fs.Bool("v", false, "log every request")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	schema, configData, configName := sample.Schema, sample.Config, "examples/sample/config.yaml (built in)"
	if *configPath != "" {
		var err error
		if configData, err = os.ReadFile(*configPath); err != nil {
			return err
		}
		b, err := os.ReadFile(filepath.Join(filepath.Dir(*configPath), "schema.sql"))
		if err != nil {
			return fmt.Errorf("the demo loads schema.sql next to the configuration: %w", err)
		}
		schema, configName = string(b), *configPath
	}
	if *token == "" {
		*token = randomToken()
	} else if len(*token) < 16 {
		return usageError{msg: "--token must be at least 16 characters long"}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another address with --listen)", *listen, err)
	}
	defer ln.Close()

	fmt.Fprintln(stderr, "retroscim demo: starting a throwaway MariaDB...")
	db, err := tempdb.Start(ctx, tempdb.Options{})
	if errors.Is(err, tempdb.ErrNotInstalled) {
		return fmt.Errorf("the demo runs the sample app on a throwaway MariaDB, but %w.\nInstall it with:\n  %s", err, tempdb.InstallHint)
	}
	if err != nil {
		return fmt.Errorf("start MariaDB: %w", err)
	}
	defer db.Stop()
	dsn, err := loadDemoDatabase(ctx, db.DSN(), schema)
	if err != nil {
		return err
	}

	// The configuration reads its DSN and token from the environment.
	os.Setenv("RETROSCIM_DSN", dsn)
	os.Setenv("RETROSCIM_TOKEN", *token)
	cfg, err := mapping.Parse(configName, configData)
	if err != nil {
		return err
	}
	metrics := adapter.NewMetrics()
	store, err := openStore(ctx, cfg, metrics)
	if err != nil {
		return err
	}
	defer store.Close()
	metrics.WatchPool(store.Stats)
	if err := adapter.BindSchema(ctx, cfg, store); err != nil {
		return err
	}
	own := ownTables(cfg)
	if _, err := store.Migrate(ctx, own); err != nil {
		return err
	}
	logOut := io.Discard
	if *verbose {
		logOut = stderr
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	if *adminListen != "" {
		cfg.Server.AdminListen = *adminListen
	}
	srv := adapter.New(cfg, store, adapter.Options{Log: log, Own: &own, Metrics: metrics, SeparateAdmin: cfg.Server.AdminListen != ""})
	health := "http://" + ln.Addr().String()
	if cfg.Server.AdminListen != "" {
		addr, stop, err := serveAdmin(cfg.Server.AdminListen, srv)
		if err != nil {
			return fmt.Errorf("%w (choose another address with --admin-listen)", err)
		}
		defer stop()
		health = "http://" + addr
	}
	base := "http://" + ln.Addr().String() + cfg.Server.BasePath
	printDemoBanner(stdout, db, base, health, *token, configName, cfg)
	err = runHTTP(ctx, ln, srv, log)
	fmt.Fprintln(stderr, "retroscim demo: stopped; the throwaway database is deleted.")
	return err
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "demo_" + base64.RawURLEncoding.EncodeToString(b)
}

// loadDemoDatabase creates the app database and runs its schema.
func loadDemoDatabase(ctx context.Context, serverDSN, schema string) (string, error) {
	cfg, err := mysql.ParseDSN(serverDSN)
	if err != nil {
		return "", err
	}
	cfg.DBName = "app"
	cfg.MultiStatements = true
	admin, err := sql.Open("mysql", serverDSN)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE app CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"); err != nil {
		return "", err
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return "", fmt.Errorf("load the app schema: %w", err)
	}
	cfg.MultiStatements = false
	return cfg.FormatDSN(), nil
}

func printDemoBanner(w io.Writer, db *tempdb.Server, base, health, token, configName string, cfg *mapping.Config) {
	auth := "-H 'Authorization: Bearer " + token + "'"
	filter := `userName eq "alice@acme.test"`
	if cfg.Users.Table != "users" || !strings.Contains(configName, "built in") {
		filter = `userName pr`
	}
	fmt.Fprintf(w, `
retroscim demo
  app:           %s on a throwaway MariaDB (127.0.0.1:%d, deleted on exit)
  SCIM base URL: %s
  bearer token:  %s
  health:        %s/readyz (and /healthz, /metrics: no token)

Try:
  curl -s %s '%s/Users?filter=%s'
  curl -s %s '%s/Users?startIndex=1&count=2&attributes=userName,active'
  curl -s %s '%s/ServiceProviderConfig'

Press Ctrl-C to stop.
`, configName, db.Port, base, token, health,
		auth, base, strings.ReplaceAll(url.QueryEscape(filter), "+", "%20"),
		auth, base,
		auth, base)
}
