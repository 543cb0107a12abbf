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
	"github.com/spf13/cobra"
)

// demoOptions are the flags of retroscim demo.
type demoOptions struct {
	listen      string
	adminListen string
	token       string
	config      string
	verbose     bool
}

func newDemoCmd(env *cliEnv) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Serve the sample app (or an example) on a throwaway MariaDB",
		Long: `Serve the sample app (or an example) on a throwaway MariaDB that is
deleted on exit. Needs MariaDB's binaries (mariadbd), not a server.`,
		Example: `  retroscim demo
  retroscim demo --config examples/panther/config.yaml --token a-token-of-16-chars`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return demo(cmd.Context(), o, env.stdout, env.stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to serve SCIM on")
	f.StringVar(&o.adminListen, "admin-listen", "", "address to serve /healthz, /readyz and /metrics on (default: the configuration's server.admin_listen)")
	f.StringVar(&o.token, "token", "", "bearer token to accept (default: a random one)")
	f.StringVar(&o.config, "config", "", "serve this configuration instead of the sample app; its schema.sql is loaded from the same directory")
	_ = cmd.MarkFlagFilename("config", "yaml", "yml")
	f.BoolVarP(&o.verbose, "v", "v", false, "log every request")
	return cmd
}

// demo serves the sample app (or an example) on a throwaway MariaDB that
// lives as long as the command.
func demo(ctx context.Context, o demoOptions, stdout, stderr io.Writer) error {
	schema, configData, configName := sample.Schema, sample.Config, "examples/sample/config.yaml (built in)"
	if o.config != "" {
		var err error
		if configData, err = os.ReadFile(o.config); err != nil {
			return err
		}
		b, err := os.ReadFile(filepath.Join(filepath.Dir(o.config), "schema.sql"))
		if err != nil {
			return fmt.Errorf("the demo loads schema.sql next to the configuration: %w", err)
		}
		schema, configName = string(b), o.config
	}
	if o.token == "" {
		o.token = randomToken()
	} else if len(o.token) < 16 {
		return usageError{msg: "--token must be at least 16 characters long"}
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another address with --listen)", o.listen, err)
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
	os.Setenv("RETROSCIM_TOKEN", o.token)
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
	if o.verbose {
		logOut = stderr
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	if o.adminListen != "" {
		cfg.Server.AdminListen = o.adminListen
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
	printDemoBanner(stdout, db, base, health, o.token, configName, cfg)
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
