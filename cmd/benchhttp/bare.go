package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
)

// The rows the sample configuration's token may see: its scope and tenant.
const (
	scopeSource = "saml"
	scopeTenant = 1
)

// bareStatements are the statements the bare handler runs, selecting
// columns: what a developer writes by hand for the sample schema, with no
// mapping in between. The keyset page hints the index its walk follows:
// without the hint MariaDB 10.11 reads the tenant's index entries from the
// start (ref on org_id, id > ? checked per entry), and a yardstick should be
// what the database does at its best.
//
// The lookup asks the database the same question retroscim does: SCIM's
// userName eq is case-insensitive and nothing else (RFC 7643 §4.1.1), while
// `login` = ? alone under the sample's utf8mb4_general_ci also matches other
// accents and trailing spaces, so the exact comparison after it is part of
// the query, not of retroscim's overhead. It reads one row more than a
// page, as retroscim does to know whether the list goes on. explain checks
// that its WHERE, ORDER BY and LIMIT are retroscim's.
type bareStatements struct {
	byID, byLogin, page string
}

func newBareStatements(columns []string) bareStatements {
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = "`" + c + "`"
	}
	sel := "SELECT " + strings.Join(quoted, ", ") + " FROM `users`"
	scope := "`auth_source` = ? AND `org_id` = ?"
	return bareStatements{
		byID:    sel + " WHERE " + scope + " AND `id` = ?",
		byLogin: sel + " WHERE " + scope + " AND `login` = ? AND " + exactLogin + " ORDER BY `id` LIMIT 101",
		page:    sel + " FORCE INDEX (`ix_users_org_id`) WHERE " + scope + " AND `id` > ? ORDER BY `id` LIMIT ?",
	}
}

// exactLogin is retroscim's exact comparison of a case-insensitive
// attribute (mapping's compare.go), for the login bound second.
const exactLogin = "CAST(LOWER(CONVERT(`login` USING utf8mb4)) AS BINARY) = CAST(LOWER(CONVERT(? USING utf8mb4)) AS BINARY)"

var plainColumn = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// parseColumns reads --columns: plain identifiers, comma-separated.
func parseColumns(s string) ([]string, error) {
	var cols []string
	for _, c := range strings.Split(s, ",") {
		c = strings.TrimSpace(c)
		if !plainColumn.MatchString(c) {
			return nil, fmt.Errorf("--columns: %q is not a plain column name", c)
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// serveBare serves the bare handler until ctx ends.
func serveBare(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("benchhttp bare", flag.ContinueOnError)
	dsn := fs.String("dsn", "", "go-sql-driver/mysql DSN of the database (the sample schema)")
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	columns := fs.String("columns", "id,login", "columns to select and serve, comma-separated")
	maxConns := fs.Int("max-open-conns", 20, "pool bound (retroscim's sample: 20)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cols, err := parseColumns(*columns)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	cfg, err := mysql.ParseDSN(*dsn)
	if err != nil {
		return usageError{msg: "--dsn: " + err.Error()}
	}
	// As retroscim's store does: one round trip per query, DATETIME as time.
	cfg.InterpolateParams = true
	cfg.ParseTime = true
	db, err := sqlx.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(*maxConns)
	db.SetMaxIdleConns(*maxConns)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newBareHandler(db, newBareStatements(cols)), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "listening on %s\n", ln.Addr())
	if f, ok := stdout.(*os.File); ok {
		_ = f.Sync()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// newBareHandler is the yardstick: echo, one sqlx query per request, the
// row encoded as JSON. No auth, logging, metrics, mapping or SCIM
// rendering. It answers at retroscim's paths so the driver sends both the
// same requests, except that keyset pages continue by ?after=<last id>.
func newBareHandler(db *sqlx.DB, st bareStatements) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/scim/v2/Users/:id", func(c echo.Context) error {
		row := map[string]any{}
		err := db.QueryRowxContext(c.Request().Context(), st.byID, scopeSource, scopeTenant, c.Param("id")).MapScan(row)
		if errors.Is(err, sql.ErrNoRows) {
			return echo.ErrNotFound
		}
		if err != nil {
			return err
		}
		return writeJSON(c, plainRow(row))
	})
	e.GET("/scim/v2/Users", func(c echo.Context) error {
		ctx := c.Request().Context()
		if f := c.QueryParam("filter"); f != "" {
			login, ok := strings.CutPrefix(f, `userName eq "`)
			if !ok || !strings.HasSuffix(login, `"`) {
				return echo.NewHTTPError(http.StatusBadRequest, "the bare handler serves only userName eq filters")
			}
			login = strings.TrimSuffix(login, `"`)
			rows, err := queryRows(db.QueryxContext(ctx, st.byLogin, scopeSource, scopeTenant, login, login))
			if err != nil {
				return err
			}
			return writeJSON(c, map[string]any{"totalResults": len(rows), "Resources": rows})
		}
		after, err := strconv.ParseUint(c.QueryParam("after"), 10, 64)
		if err != nil && c.QueryParam("after") != "" {
			return echo.NewHTTPError(http.StatusBadRequest, "after must be an id")
		}
		count, err := strconv.Atoi(c.QueryParam("count"))
		if err != nil || count < 1 || count > 1000 {
			count = 100
		}
		rows, err := queryRows(db.QueryxContext(ctx, st.page, scopeSource, scopeTenant, after, count))
		if err != nil {
			return err
		}
		return writeJSON(c, map[string]any{"itemsPerPage": len(rows), "Resources": rows})
	})
	return e
}

func queryRows(rows *sqlx.Rows, err error) ([]map[string]any, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []map[string]any{}
	for rows.Next() {
		row := map[string]any{}
		if err := rows.MapScan(row); err != nil {
			return nil, err
		}
		out = append(out, plainRow(row))
	}
	return out, rows.Err()
}

// plainRow turns the driver's []byte values into strings for JSON.
func plainRow(row map[string]any) map[string]any {
	for k, v := range row {
		if b, ok := v.([]byte); ok {
			row[k] = string(b)
		}
	}
	return row
}

func writeJSON(c echo.Context, v any) error {
	out, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/json", out)
}
