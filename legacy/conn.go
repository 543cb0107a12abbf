package legacy

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// safeCharsets are the client character sets under which escaping a value
// inside SQL text is sound. retroscim has the driver interpolate values
// into the statement (interpolateParams: one round trip instead of
// prepare, execute and close), and the driver escapes ' " \ byte by byte.
// That is only safe when the server cannot read an escaping backslash as
// the second byte of a multibyte character: in gbk, big5, sjis, cp932 and
// gb18030 it can (0xBF 0x5C is one gbk character), so `丿\'` ends the
// string and the rest of the value becomes SQL. In UTF-8 and single-byte
// character sets no byte of a multibyte character is ASCII.
var safeCharsets = map[string]bool{"utf8mb4": true, "utf8mb3": true, "utf8": true, "latin1": true, "ascii": true, "binary": true}

// SafeCharsets names the client character sets retroscim accepts, for
// messages.
const SafeCharsets = "utf8mb4, utf8mb3, utf8, latin1, ascii, binary"

// CharsetError is a connection whose @@character_set_client would let an
// escaped value turn into SQL. Such a connection is closed before any
// statement runs on it; Open fails with it, and later it makes the
// database unavailable (errors.Is(err, ErrUnavailable)).
type CharsetError struct {
	// Charset is the connection's @@character_set_client.
	Charset string
	// Source says what set it: a DSN parameter, or the server.
	Source string
}

func (e *CharsetError) Error() string {
	return fmt.Sprintf("the connection's character set is %s (@@character_set_client, set by %s): retroscim sends values escaped inside the SQL text, and under %s an escaped quote can end a string, which would let a filter or an attribute value run as SQL; use utf8mb4 (remove that setting); accepted: %s",
		e.Charset, e.Source, e.Charset, SafeCharsets)
}

// Is makes errors.Is(err, ErrUnavailable) true: retroscim serves nothing
// over such a connection.
func (e *CharsetError) Is(target error) bool { return target == ErrUnavailable }

// charsetSource says which part of a DSN chose the character set, for
// CharsetError; the DSN itself (and its password) is never quoted.
func charsetSource(cfg *mysql.Config) string {
	dsn := cfg.FormatDSN()
	query := dsn[strings.LastIndexByte(dsn, '/')+1:]
	_, query, _ = strings.Cut(query, "?")
	params, _ := url.ParseQuery(query)
	for _, name := range []string{"charset", "character_set_client", "init_connect"} {
		if v := params.Get(name); v != "" {
			return "the DSN parameter " + name + "=" + v
		}
	}
	return "the server: its init_connect, or character-set-client-handshake=OFF"
}

// connector wraps the driver's connector. Every new connection, for a
// request, the pool or a breaker probe, is bounded in time (dial,
// handshake and session set-up together) and checked for a safe character
// set before anything else runs on it.
type connector struct {
	driver.Connector
	// timeout bounds Connect, whatever the caller's context says: the pool
	// also opens connections in the background, with no deadline at all.
	timeout time.Duration
	source  string
	// tolerate records an unsafe character set instead of refusing the
	// connection; Open turns interpolation off for such a store.
	tolerate bool
	mu       sync.Mutex
	seen     string
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	markReached(ctx)
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errStepDeadline)
	defer cancel()
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", context.Cause(ctx), err)
		}
		return nil, &connectError{err: err}
	}
	cs, err := clientCharset(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, &connectError{err: err}
	}
	if !safeCharsets[cs] {
		c.mu.Lock()
		c.seen = cs
		c.mu.Unlock()
		if !c.tolerate {
			conn.Close()
			return nil, &CharsetError{Charset: cs, Source: c.source}
		}
	}
	return &markedConn{Conn: conn}, nil
}

// unsafeCharset is the unsafe character set a tolerant connector saw.
func (c *connector) unsafeCharset() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen
}

// clientCharset asks a new connection for @@character_set_client. The
// statement has no arguments, so nothing is interpolated into it.
func clientCharset(ctx context.Context, conn driver.Conn) (string, error) {
	q, ok := conn.(driver.QueryerContext)
	if !ok {
		return "", errors.New("the driver cannot run a query on a new connection")
	}
	rows, err := q.QueryContext(ctx, "SELECT @@character_set_client", nil)
	if err != nil {
		return "", fmt.Errorf("read the connection's character set: %w", err)
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		if err == io.EOF {
			err = errors.New("no row")
		}
		return "", fmt.Errorf("read the connection's character set: %w", err)
	}
	switch v := dest[0].(type) {
	case []byte:
		return strings.ToLower(string(v)), nil
	case string:
		return strings.ToLower(v), nil
	}
	return "", fmt.Errorf("read the connection's character set: unexpected %T", dest[0])
}

// connectError is a failure to open a connection: the database did not
// let retroscim in (refused, unreachable, timed out, access denied).
type connectError struct{ err error }

func (e *connectError) Error() string { return "connect: " + e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *connectError) Is(target error) bool { return target == ErrUnavailable }

// opMark records whether an operation got as far as a connection. A
// deadline that expires before (while waiting for a free connection of a
// busy pool) says nothing about the database; one that expires after
// says it did not answer.
type opMark struct{ reached atomic.Bool }

type markKey struct{}

// withMark gives ctx a fresh mark.
func withMark(ctx context.Context) (context.Context, *opMark) {
	m := &opMark{}
	return context.WithValue(ctx, markKey{}, m), m
}

func markReached(ctx context.Context) {
	if m, ok := ctx.Value(markKey{}).(*opMark); ok {
		m.reached.Store(true)
	}
}

func reached(ctx context.Context) bool {
	m, ok := ctx.Value(markKey{}).(*opMark)
	return !ok || m.reached.Load()
}

// markedConn is the driver's connection, marking each operation that uses
// it as having reached the database. It passes on every optional
// interface the driver's connection has.
type markedConn struct {
	driver.Conn
}

func (c *markedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	markReached(ctx)
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	return q.QueryContext(ctx, query, args)
}

func (c *markedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	markReached(ctx)
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	return e.ExecContext(ctx, query, args)
}

func (c *markedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	markReached(ctx)
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.Conn.Prepare(query)
}

func (c *markedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	markReached(ctx)
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return nil, errors.New("the driver cannot begin transactions with a context")
}

func (c *markedConn) Ping(ctx context.Context) error {
	markReached(ctx)
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *markedConn) ResetSession(ctx context.Context) error {
	markReached(ctx)
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *markedConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *markedConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}
