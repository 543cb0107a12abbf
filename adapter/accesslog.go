package adapter

import (
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/mapping"
)

// LogWriter is the log's destination when access lines are batched. The
// access log is on every request's path: formatted by slog and written
// with one write(2) each, it was about 7% of a GET's CPU. Access lines are
// formatted here, straight into a buffer (no attribute values, no
// allocation), and written together at most every flush interval or when
// 64 KiB have gathered. Every other line (slog's handler writing to the
// LogWriter) first writes the buffered access lines and then itself, so
// the log keeps the order things happened in. Close writes what is left.
type LogWriter struct {
	mu  sync.Mutex
	out io.Writer
	buf []byte
	// sec is the last second an access line's time fell in, formatted
	// (appendTime): its date and time of day, and its zone offset.
	sec struct {
		unix       int64
		loc        *time.Location
		date, zone []byte
	}
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// logBatchBytes is how much the access lines gather before a write.
const logBatchBytes = 64 << 10

// NewLogWriter batches access lines for out and writes them at least every
// flush interval until Close.
func NewLogWriter(out io.Writer, flush time.Duration) *LogWriter {
	w := &LogWriter{out: out, buf: make([]byte, 0, logBatchBytes+4096), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(flush)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = w.Flush()
			case <-w.stop:
				return
			}
		}
	}()
	return w
}

// Write writes p (one log line of slog's handler) after the access lines
// buffered before it.
func (w *LogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.flushLocked(); err != nil {
		return 0, err
	}
	return w.out.Write(p)
}

// Flush writes the buffered access lines.
func (w *LogWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *LogWriter) flushLocked() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.out.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

// Close stops the background flush and writes what is buffered. Lines
// written after Close go out at once.
func (w *LogWriter) Close() error {
	w.once.Do(func() {
		close(w.stop)
		<-w.done
	})
	return w.Flush()
}

// closed reports whether Close has run: then lines are not held back.
func (w *LogWriter) closed() bool {
	select {
	case <-w.stop:
		return true
	default:
		return false
	}
}

// accessLine is one request's access log line.
type accessLine struct {
	requestID, clientRequestID, method, path, token, client string
	status                                                  int
	duration                                                time.Duration
}

// writeAccess appends the line in the shape slog's JSON handler gives it
// (same keys, order and value types), so the log reads the same either way.
func (w *LogWriter) writeAccess(now time.Time, l *accessLine) {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := append(w.buf, `{"time":"`...)
	b = w.appendTime(b, now)
	b = append(b, `","level":"INFO","msg":"request","request_id":`...)
	b = mapping.AppendJSONString(b, l.requestID)
	b = append(b, `,"client_request_id":`...)
	b = mapping.AppendJSONString(b, l.clientRequestID)
	b = append(b, `,"method":`...)
	b = mapping.AppendJSONString(b, l.method)
	b = append(b, `,"path":`...)
	b = mapping.AppendJSONString(b, l.path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(l.status), 10)
	b = append(b, `,"duration_ms":`...)
	b = appendMillis(b, l.duration)
	b = append(b, `,"token":`...)
	b = mapping.AppendJSONString(b, l.token)
	b = append(b, `,"client":`...)
	b = mapping.AppendJSONString(b, l.client)
	b = append(b, "}\n"...)
	w.buf = b
	if len(w.buf) >= logBatchBytes || w.closed() {
		_ = w.flushLocked()
	}
}

// appendMillis appends d in milliseconds to the microsecond, as slog
// writes the float64 µs/1000 (strconv 'f', shortest): the microseconds'
// decimal digits with the point three from the end, trailing zeros and a
// bare point dropped. Integer digits are cheaper than formatting the
// float, and the same: a quotient with three decimals is its own shortest
// form for any duration below 2^53 ns. Negative durations (a clock step
// back) keep their sign.
func appendMillis(b []byte, d time.Duration) []byte {
	us := d.Microseconds()
	if us < 0 {
		b = append(b, '-')
		us = -us
	}
	b = strconv.AppendInt(b, us/1000, 10)
	frac := us % 1000
	if frac == 0 {
		return b
	}
	digits := [4]byte{'.', byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	n := len(digits)
	for digits[n-1] == '0' {
		n--
	}
	return append(b, digits[:n]...)
}

// appendTime appends t.AppendFormat(time.RFC3339Nano) (slog's time), with
// the date, time of day and zone offset formatted once per second: the
// lines of a second share them and differ in the fraction only. Held by
// w.mu.
func (w *LogWriter) appendTime(b []byte, t time.Time) []byte {
	const dateLen = len("2006-01-02T15:04:05")
	if unix, loc := t.Unix(), t.Location(); unix != w.sec.unix || loc != w.sec.loc || w.sec.date == nil {
		if y := t.Year(); y < 1 || y > 9999 {
			return t.AppendFormat(b, time.RFC3339Nano) // not 4 digits: not cut as below, not kept
		}
		whole := t.Truncate(time.Second).AppendFormat(nil, time.RFC3339Nano)
		w.sec.unix, w.sec.loc, w.sec.date, w.sec.zone = unix, loc, whole[:dateLen:dateLen], whole[dateLen:]
	}
	b = append(b, w.sec.date...)
	if ns := t.Nanosecond(); ns != 0 {
		// RFC3339Nano's ".999999999": nine digits, trailing zeros dropped.
		var f [10]byte
		f[0] = '.'
		for i := 9; i > 0; i-- {
			f[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := len(f)
		for f[n-1] == '0' {
			n--
		}
		b = append(b, f[:n]...)
	}
	return append(b, w.sec.zone...)
}

// logAccess writes the request's access log line (record calls it, with
// the request's end and how long it took). The query string is left out:
// filters carry user names and e-mail addresses.
//
// With Options.AccessLog set the line is formatted and batched by the
// LogWriter; otherwise it goes to the slog logger, built from typed
// attributes. Either way nothing is done when the Info level is off.
func (s *Server) logAccess(c echo.Context, end time.Time, took time.Duration) {
	ctx := c.Request().Context()
	if !s.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	l := accessLine{
		requestID:       requestID(c),
		clientRequestID: clientRequestID(c),
		method:          truncate(c.Request().Method, 16),
		path:            truncate(c.Request().URL.Path, 512),
		status:          c.Response().Status,
		duration:        took,
		token:           principal(c).TokenPrefix,
		client:          s.clientAddr(c),
	}
	if s.access != nil {
		s.access.writeAccess(end, &l)
		return
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "request",
		slog.String("request_id", l.requestID),
		slog.String("client_request_id", l.clientRequestID),
		slog.String("method", l.method),
		slog.String("path", l.path),
		slog.Int("status", l.status),
		slog.Float64("duration_ms", float64(l.duration.Microseconds())/1000),
		slog.String("token", l.token),
		slog.String("client", l.client),
	)
}
