package adapter

import (
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/mapping"
)

// ContentType is the media type of every SCIM response.
const ContentType = "application/scim+json"

// writeJSON sends a SCIM JSON response.
func writeJSON(c echo.Context, status int, body mapping.Object) error {
	buf := takeBody()
	defer buf.release()
	b, err := body.AppendJSON(buf.b)
	if err != nil {
		return err
	}
	buf.b = b
	return sendJSON(c, status, b)
}

// contentTypeValue is the Content-Type of every SCIM response, shared as
// the security headers' values are (capped, so a change copies it).
var contentTypeValue = []string{ContentType}

// sendJSON sends b as the response body: what c.Blob does, with the
// header set as a map entry under its canonical key instead of looked up
// and set through Header's canonicalising methods.
func sendJSON(c echo.Context, status int, b []byte) error {
	w := c.Response()
	w.Header()[echo.HeaderContentType] = contentTypeValue[:1:1]
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

// A bodyBuffer is a response body's buffer, reused across requests:
// sendJSON has copied the body into the connection's writer when it
// returns, so the buffer can go back to the pool then.
type bodyBuffer struct{ b []byte }

var bodyBuffers = sync.Pool{New: func() any { return &bodyBuffer{b: make([]byte, 0, 4096)} }}

// maxPooledBody is the largest buffer kept for reuse: a page of 1,000
// users; a larger one (a huge page, a list of groups) is left to the GC.
const maxPooledBody = 1 << 20

func takeBody() *bodyBuffer {
	buf := bodyBuffers.Get().(*bodyBuffer)
	buf.b = buf.b[:0]
	return buf
}

func (buf *bodyBuffer) release() {
	if cap(buf.b) <= maxPooledBody {
		bodyBuffers.Put(buf)
	}
}
