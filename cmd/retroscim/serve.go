package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/retroscim/retroscim/adapter"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// shutdownGrace is how long in-flight requests may take to finish after
// SIGTERM.
const shutdownGrace = 20 * time.Second

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	configPath := fs.String("config", "config.yaml", "configuration file")
	listen := fs.String("listen", "", "address to listen on (overrides server.listen)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	cfg, err := mapping.LoadFile(*configPath)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Server.Listen = *listen
	}
	if len(cfg.Auth.BearerTokens) == 0 {
		return fmt.Errorf("%s: no bearer token is configured, so every request would be refused; add auth.bearer_tokens", cfg.File)
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := adapter.BindSchema(ctx, cfg, store); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Server.Listen, err)
	}
	log.Info("serving SCIM", "address", ln.Addr().String(), "base_path", cfg.Server.BasePath, "config", cfg.File, "tables", strings.Join(cfg.Tables(), ","))
	return runHTTP(ctx, ln, adapter.New(cfg, store, log), log)
}

func openStore(ctx context.Context, cfg *mapping.Config) (*legacy.Store, error) {
	return legacy.Open(ctx, cfg.Database.DSN, legacy.Options{
		MaxOpenConns:    cfg.Database.MaxOpenConns,
		MaxIdleConns:    cfg.Database.MaxIdleConns,
		ConnMaxLifetime: cfg.Database.ConnMaxLifetime,
		QueryTimeout:    cfg.Database.QueryTimeout,
		CountTTL:        cfg.Pagination.CountTTL,
		CursorTTL:       cfg.Pagination.CursorTTL,
		CursorCacheSize: cfg.Pagination.CursorCacheSize,
	})
}

// runHTTP serves until ctx is done, then stops accepting connections and
// gives in-flight requests shutdownGrace to finish.
func runHTTP(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
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
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func token(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "hash" {
		return usageError{msg: "usage: retroscim token hash < token.txt"}
	}
	b, err := io.ReadAll(io.LimitReader(stdin, 4096))
	if err != nil {
		return err
	}
	t := strings.TrimSpace(string(b))
	if len(t) < 16 {
		return errors.New("a bearer token must be at least 16 characters long")
	}
	sum := sha256.Sum256([]byte(t))
	fmt.Fprintln(stdout, hex.EncodeToString(sum[:]))
	return nil
}
