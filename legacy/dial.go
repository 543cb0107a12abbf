package legacy

import (
	"context"
	"net"
	"syscall"
	"time"
)

// The connections' backstop. Every step's context bounds what the driver
// reads and writes for it (the driver closes the connection when the
// context ends), COMMIT and ROLLBACK included (see tx.go). What no context
// watches is a connection whose server has gone without a word: a write
// that is never acknowledged (COM_QUIT as a connection closes), a peer
// that vanished while the connection sat idle. The kernel watches those,
// at no cost per packet: TCP_USER_TIMEOUT ends a connection whose sent
// data stays unacknowledged for a step and its grace, and keepalive
// probes find an idle peer that is gone. The driver's own read and write
// timeouts (readTimeout, writeTimeout in the DSN, still honoured when set)
// were the backstop before: each packet set a deadline on the socket, a
// clock reading and a timer change three times per query, about 2% of a
// GET's CPU.

// keepAliveProbes is how many unanswered keepalive probes end a connection
// (where TCP_USER_TIMEOUT does not decide first).
const keepAliveProbes = 3

// dialContext is the dial function of the store's TCP connections:
// keepalive after backstop of silence, probing every quarter of it (at
// least a second), and TCP_USER_TIMEOUT of backstop where the system has
// it (setUserTimeout).
func dialContext(backstop time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{
		KeepAliveConfig: net.KeepAliveConfig{
			Enable:   true,
			Idle:     backstop,
			Interval: max(backstop/4, time.Second),
			Count:    keepAliveProbes,
		},
		Control: func(network, _ string, c syscall.RawConn) error {
			return setUserTimeout(network, c, backstop)
		},
	}
	return d.DialContext
}
