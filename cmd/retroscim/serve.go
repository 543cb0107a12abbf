package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/retroscim/retroscim/adapter"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
	"github.com/spf13/cobra"
)

// shutdownGrace is how long in-flight requests may take to finish after
// SIGTERM.
const shutdownGrace = 20 * time.Second

// serveOptions are the flags of retroscim serve.
type serveOptions struct {
	config string
	listen string
	dryRun bool
}

func newServeCmd(env *cliEnv) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the SCIM API described by the configuration file",
		Long: `Serve the SCIM API described by the configuration file. SIGHUP reloads
the configuration (a broken one is refused and the old one keeps serving);
SIGTERM drains in-flight requests and stops.`,
		Example: "  retroscim serve --config /etc/retroscim/config.yaml --listen :8443",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.Context(), o, env.stderr)
		},
	}
	configFlag(cmd, &o.config)
	cmd.Flags().StringVar(&o.listen, "listen", "", "address to listen on (overrides server.listen)")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "serve without writing: record what would change in retroscim_dry_run (server.dry_run: true; with this flag a reload cannot switch it off)")
	return cmd
}

func serve(ctx context.Context, o serveOptions, stderr io.Writer) error {
	// Access lines are batched (at most 100 ms late); every other line
	// goes out at once, after them. Close writes the rest at shutdown.
	logOut := adapter.NewLogWriter(stderr, 100*time.Millisecond)
	defer logOut.Close()
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	if set := tuneGC(os.Getenv); len(set) > 0 {
		log.Info("garbage collector tuned for serving (the environment's GOGC and GOMEMLIMIT win)", set...)
	}
	cfg, err := mapping.LoadFile(o.config)
	if err != nil {
		return err
	}
	if o.listen != "" {
		cfg.Server.Listen = o.listen
	}
	cfg.Server.DryRun = cfg.Server.DryRun || o.dryRun
	metrics := adapter.NewMetrics()
	store, err := openStore(ctx, cfg, &breakerLog{Observer: metrics, log: log})
	if err != nil {
		return err
	}
	defer store.Close()
	metrics.WatchPool(store.Stats)
	if err := adapter.BindSchema(ctx, cfg, store); err != nil {
		return err
	}
	warmCtx, stopWarm := context.WithCancel(ctx)
	warmed := make(chan struct{})
	go func() {
		defer close(warmed)
		warmCounts(warmCtx, cfg, store, log)
	}()
	defer func() { stopWarm(); <-warmed }()
	opts, err := serverOptions(ctx, cfg, store, log)
	if err != nil {
		return err
	}
	opts.Metrics = metrics
	opts.AccessLog = logOut
	opts.SeparateAdmin = cfg.Server.AdminListen != ""
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Server.Listen, err)
	}
	srv := adapter.New(cfg, store, opts)
	if cfg.Server.AdminListen != "" {
		addr, stop, err := serveAdmin(cfg.Server.AdminListen, srv)
		if err != nil {
			return err
		}
		defer stop()
		log.Info("serving health and metrics", "address", addr)
	}
	stopReload := reloadOnHUP(ctx, o.config, overrides{listen: o.listen, dryRun: o.dryRun}, srv, store, metrics, log)
	defer stopReload()
	log.Info("serving SCIM", "address", ln.Addr().String(), "base_path", cfg.Server.BasePath, "config", cfg.File, "tables", strings.Join(cfg.Tables(), ","), "dry_run", cfg.Server.DryRun)
	logDryRun(log, false, cfg.Server.DryRun)
	return runHTTP(ctx, ln, srv, log)
}

// serveAdmin serves /healthz, /readyz and /metrics on their own listener
// (server.admin_listen) and returns the address it listens on.
func serveAdmin(addr string, srv *adapter.Server) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s (server.admin_listen): %w", addr, err)
	}
	admin := &http.Server{Handler: srv.AdminHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = admin.Serve(ln) }()
	return ln.Addr().String(), func() { admin.Close() }, nil
}

// reloadOnHUP reloads the configuration on SIGHUP. The new file is
// validated and bound to the live schema first; if anything is wrong the
// running configuration keeps serving and the problem is logged.
func reloadOnHUP(ctx context.Context, path string, flags overrides, srv *adapter.Server, store *legacy.Store, metrics *adapter.Metrics, log *slog.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				err := reload(ctx, path, flags, srv, store, log)
				metrics.Reloaded(err == nil)
				if err != nil {
					log.Error("configuration reload failed; still serving the previous configuration", "config", path, "error", err.Error())
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
	}
}

// overrides are the serve flags that take precedence over the file, on
// start and on every reload.
type overrides struct {
	listen string
	dryRun bool
}

func reload(ctx context.Context, path string, flags overrides, srv *adapter.Server, store *legacy.Store, log *slog.Logger) error {
	cfg, err := mapping.LoadFile(path)
	if err != nil {
		return err
	}
	if flags.listen != "" {
		cfg.Server.Listen = flags.listen
	}
	cfg.Server.DryRun = cfg.Server.DryRun || flags.dryRun
	if err := adapter.BindSchema(ctx, cfg, store); err != nil {
		return err
	}
	if _, err := serverOptions(ctx, cfg, store, log); err != nil {
		return err
	}
	was := srv.Config().Server.DryRun
	kept := srv.Reload(cfg)
	log.Info("configuration reloaded", "config", path, "tables", strings.Join(cfg.Tables(), ","), "restart_needed_for", strings.Join(kept, ","), "dry_run", cfg.Server.DryRun)
	logDryRun(log, was, cfg.Server.DryRun)
	return nil
}

// logDryRun says when the server starts or stops writing.
func logDryRun(log *slog.Logger, was, now bool) {
	switch {
	case now && !was:
		log.Warn("dry run: requests are served by the real code but nothing is written; would-be changes go to the dry-run table (retroscim report)")
	case was && !now:
		log.Warn("dry run over: writes are live from now on")
	}
}

// serverOptions finds retroscim's own tables. Without them the server
// accepts configuration tokens only and keeps the audit trail in its log.
func serverOptions(ctx context.Context, cfg *mapping.Config, store *legacy.Store, log *slog.Logger) (adapter.Options, error) {
	own := ownTables(cfg)
	exists, err := store.OwnTablesExist(ctx, own)
	if err != nil {
		return adapter.Options{}, err
	}
	if exists {
		// Tables an earlier version created lack what this one writes:
		// serving would fail every write.
		if err := store.CheckOwnTables(ctx, own); err != nil {
			return adapter.Options{}, err
		}
		if cfg.Server.DryRun {
			ok, err := store.DryRunTableExists(ctx, own)
			if err != nil {
				return adapter.Options{}, err
			}
			if !ok {
				return adapter.Options{}, fmt.Errorf("server.dry_run is on, but retroscim's dry-run table %s does not exist yet: run retroscim migrate", own.DryRun())
			}
		}
	}
	if !exists {
		if len(cfg.Auth.BearerTokens) == 0 {
			return adapter.Options{}, fmt.Errorf("no bearer token can be accepted: run retroscim migrate and retroscim token create, or add auth.bearer_tokens to %s", cfg.File)
		}
		log.Warn("retroscim's tables do not exist: only configuration tokens are accepted and writes (or, in a dry run, would-be writes) are recorded in this log only; run retroscim migrate", "tokens", own.Tokens(), "audit", own.Audit())
		return adapter.Options{Log: log}, nil
	}
	return adapter.Options{Log: log, Own: &own}, nil
}

// breakerLog forwards the store's events to the metrics and logs each
// circuit breaker change, which is what the on-call engineer looks for.
type breakerLog struct {
	legacy.Observer
	log     *slog.Logger
	started atomic.Bool
}

func (b *breakerLog) Breaker(state string) {
	b.Observer.Breaker(state)
	if !b.started.Swap(true) {
		return // the initial state, not a change
	}
	switch state {
	case "open":
		b.log.Error("database circuit breaker open: repeated database failures; requests get 503 until a probe succeeds", "breaker", state)
	case "half-open":
		b.log.Warn("database circuit breaker half-open: probing the database", "breaker", state)
	default:
		b.log.Info("database circuit breaker closed: the database answers", "breaker", state)
	}
}

// openStore connects to the app's database as the configuration says;
// obs, when not nil, receives the store's metrics.
func openStore(ctx context.Context, cfg *mapping.Config, obs legacy.Observer) (*legacy.Store, error) {
	return legacy.Open(ctx, cfg.Database.DSN, storeOptions(cfg, obs))
}

// storeOptions are the store's options as the configuration says.
func storeOptions(cfg *mapping.Config, obs legacy.Observer) legacy.Options {
	return legacy.Options{
		MaxOpenConns:    cfg.Database.MaxOpenConns,
		MaxIdleConns:    cfg.Database.MaxIdleConns,
		ConnMaxLifetime: cfg.Database.ConnMaxLifetime,
		ConnMaxIdleTime: cfg.Database.ConnMaxIdleTime,
		QueryTimeout:    cfg.Database.QueryTimeout,
		CountTTL:        cfg.Pagination.CountTTL,
		CountWarm:       cfg.Pagination.CountWarm,
		CursorTTL:       cfg.Pagination.CursorTTL,
		CursorCacheSize: cfg.Pagination.CursorCacheSize,
		BreakerFailures: cfg.Database.Breaker.Failures,
		BreakerOpenFor:  cfg.Database.Breaker.OpenFor,
		Observer:        obs,
	}
}

// runHTTP serves until ctx is done, then stops accepting connections and
// gives in-flight requests shutdownGrace to finish.
func runHTTP(ctx context.Context, ln net.Listener, h *adapter.Server, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", shutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	h.Close(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
