package adapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/mapping"
)

// Error is the one error type handlers return. Detail is safe to show the
// client; Err is the cause, logged and never sent.
type Error struct {
	Status   int
	SCIMType mapping.SCIMType
	Detail   string
	Err      error
	// RetryAfter, in seconds, is sent as Retry-After when positive.
	RetryAfter int
}

// deniedDetail answers a request the database refused for a missing
// privilege.
const deniedDetail = "the database account this server connects with is not allowed to do what this request needs; nothing was changed; the operator can run retroscim check to see which privileges are missing"

// releaseHint ends the detail of a delete that foreign keys refuse.
const releaseHint = "the application must release those rows first (or its foreign keys must say ON DELETE CASCADE or SET NULL)"

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Status, e.SCIMType, e.Detail, e.Err)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.SCIMType, e.Detail)
}

func (e *Error) Unwrap() error { return e.Err }

// errorf builds an Error with a formatted detail.
func errorf(status int, scimType mapping.SCIMType, format string, args ...any) *Error {
	return &Error{Status: status, SCIMType: scimType, Detail: fmt.Sprintf(format, args...)}
}

// toSCIMError maps any error a handler returns onto a SCIM error. The
// order matters: the most specific cause wins.
func toSCIMError(err error) *Error {
	var se *Error
	var fe *mapping.FilterError
	var re *mapping.RequestError
	var ce *legacy.ConstraintError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &se):
		return se
	case errors.As(err, &fe):
		return &Error{Status: http.StatusBadRequest, SCIMType: mapping.SCIMInvalidFilter, Detail: fe.Error(), Err: err}
	case errors.As(err, &re):
		status := http.StatusBadRequest
		if re.SCIMType == mapping.SCIMUniqueness {
			status = http.StatusConflict
		}
		return &Error{Status: status, SCIMType: re.SCIMType, Detail: re.Msg, Err: err}
	case errors.As(err, &ce) && errors.Is(ce, legacy.ErrConflict):
		return &Error{Status: http.StatusConflict, SCIMType: mapping.SCIMUniqueness, Detail: "the value conflicts with another row's unique key " + ce.Key, Err: err}
	case errors.As(err, &ce) && errors.Is(ce, legacy.ErrReferenced):
		return &Error{Status: http.StatusConflict, Detail: "other rows of the application refer to this resource, so it cannot be deleted; " + releaseHint, Err: err}
	case errors.As(err, &ce):
		return &Error{Status: http.StatusBadRequest, SCIMType: mapping.SCIMInvalidValue, Detail: "the database refused a value" + columnHint(ce.Key), Err: err}
	case errors.Is(err, legacy.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Detail: "resource not found", Err: err}
	case errors.Is(err, legacy.ErrWriteConflict):
		// Retried already (legacy.InTx); the client may try again at once.
		return &Error{Status: http.StatusServiceUnavailable, Detail: "concurrent writes to the same resource kept conflicting with this one, so nothing was changed; retry", Err: err, RetryAfter: 1}
	case errors.Is(err, legacy.ErrOutcomeUnknown):
		// COMMIT went out and its answer did not come back. Retrying is
		// safe: a PATCH or PUT applied twice gives the same resource, and a
		// retried POST answers 409 with the id of the resource it created.
		return &Error{Status: http.StatusServiceUnavailable, Detail: "the application database did not confirm the write, so it may have been applied; retry it (a retried PATCH or PUT is safe, and a retried POST answers 409 with the id of what it created)", Err: err, RetryAfter: 5}
	case errors.Is(err, legacy.ErrBusy):
		return &Error{Status: http.StatusServiceUnavailable, Detail: "every connection to the application database is in use; retry shortly", Err: err, RetryAfter: 1}
	case errors.Is(err, legacy.ErrTimeout):
		return &Error{Status: http.StatusGatewayTimeout, Detail: "the application database did not answer in time; retry later", Err: err}
	case errors.Is(err, legacy.ErrDenied):
		// 500, not 503: the database is up and a retry cannot succeed until
		// a DBA changes the grants. The detail names no table or account.
		return &Error{Status: http.StatusInternalServerError, Detail: deniedDetail, Err: err}
	case errors.Is(err, legacy.ErrUnavailable):
		retry := 5
		var ue *legacy.UnavailableError
		if errors.As(err, &ue) {
			retry = int(math.Ceil(ue.RetryAfter.Seconds()))
		}
		return &Error{Status: http.StatusServiceUnavailable, Detail: "the application database is unavailable; retry later", Err: err, RetryAfter: max(retry, 1)}
	case errors.As(err, &he):
		return echoError(he)
	}
	return &Error{Status: http.StatusInternalServerError, Detail: "internal error; the server log has the details", Err: err}
}

func columnHint(col string) string {
	if col == "" {
		return ""
	}
	return " for column " + col
}

func echoError(he *echo.HTTPError) *Error {
	e := &Error{Status: he.Code, Err: he.Internal}
	switch he.Code {
	case http.StatusNotFound:
		e.Detail = "no such endpoint"
	case http.StatusMethodNotAllowed:
		e.Detail = "method not allowed on this endpoint"
	case http.StatusRequestEntityTooLarge:
		e.Detail = "request body too large"
	case http.StatusUnsupportedMediaType:
		e.Detail = "send the request body as application/scim+json or application/json"
	default:
		e.Detail = fmt.Sprint(he.Message)
	}
	return e
}

// handleError is echo's HTTPErrorHandler: every error, including echo's
// own 404 and 405, leaves as a SCIM error body.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	e := toSCIMError(err)
	if errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
		// The client went away; there is nobody to answer.
		s.log.Info("request canceled by client", "request_id", requestID(c), "path", c.Path())
		return
	}
	level := slog.LevelInfo
	if e.Status >= 500 {
		level = slog.LevelError
	}
	attrs := []any{"request_id", requestID(c), "status", e.Status, "detail", e.Detail}
	if e.Err != nil {
		attrs = append(attrs, "error", e.Err.Error())
	}
	s.log.Log(c.Request().Context(), level, "request failed", attrs...)
	if e.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if e.Status == http.StatusUnauthorized {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="retroscim"`)
	}
	var body mapping.Object
	body.Set("schemas", []string{mapping.ErrorSchema})
	if e.SCIMType != "" {
		body.Set("scimType", e.SCIMType)
	}
	body.Set("detail", e.Detail)
	body.Set("status", strconv.Itoa(e.Status))
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(e.Status)
		return
	}
	_ = writeJSON(c, e.Status, body)
}
