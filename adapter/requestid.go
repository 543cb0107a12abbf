package adapter

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// assignRequestID gives every request an id of retroscim's own, sent back
// as X-Request-Id and written in its log lines and audit entries. An
// X-Request-Id the client sent (up to 64 printable characters) is kept
// beside it, never in its place: it is whatever the client says.
func (s *Server) assignRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		b := requestIDs.next()
		var x [16]byte
		hex.Encode(x[:], b[:])
		id := string(x[:])
		// pinState, always before, made the reqContext.
		if rc := reqOf(c); rc != nil {
			rc.requestID = id
			// Header keys in canonical form, read and set as map entries.
			if cid := firstHeader(c.Request().Header, echo.HeaderXRequestID); cid != "" && len(cid) <= 64 &&
				!strings.ContainsFunc(cid, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
				rc.clientRequestID = cid
			}
		}
		c.Response().Header()[echo.HeaderXRequestID] = []string{id}
		return next(c)
	}
}

// idSource hands out request ids' random bytes, read from crypto/rand
// for 64 ids at a time: one read per request was ~500 instructions, as
// much as the rest of assignRequestID.
type idSource struct {
	mu   sync.Mutex
	buf  [64 * 8]byte
	left int // bytes of buf not handed out yet, at its start
}

var requestIDs idSource

// next returns 8 random bytes no other call returns.
func (s *idSource) next() (b [8]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.left == 0 {
		_, _ = rand.Read(s.buf[:])
		s.left = len(s.buf)
	}
	s.left -= len(b)
	copy(b[:], s.buf[s.left:])
	return b
}

// requestID is the id retroscim gave the request.
func requestID(c echo.Context) string {
	if rc := reqOf(c); rc != nil {
		return rc.requestID
	}
	return ""
}

// clientRequestID is the X-Request-Id the client sent, or "".
func clientRequestID(c echo.Context) string {
	if rc := reqOf(c); rc != nil {
		return rc.clientRequestID
	}
	return ""
}
