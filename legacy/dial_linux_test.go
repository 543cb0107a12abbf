package legacy

import (
	"context"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestDialSetsBackstop: the store's TCP connections carry the kernel's
// backstop: TCP_USER_TIMEOUT of the backstop, and keepalive after the
// backstop of silence, a probe every quarter of it, three probes.
func TestDialSetsBackstop(t *testing.T) {
	tests := []struct {
		backstop            time.Duration
		wantUserTimeoutMS   int
		wantIdle, wantIntvl int // seconds
	}{
		// The kernel counts keepalive in whole seconds: Go rounds up.
		{6 * time.Second, 6000, 6, 2},
		{31 * time.Second, 31000, 31, 8},
		{1500 * time.Millisecond, 1500, 2, 1},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, tt := range tests {
		t.Run(tt.backstop.String(), func(t *testing.T) {
			conn, err := dialContext(tt.backstop)(context.Background(), "tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			got := map[string]int{}
			want := map[string]int{
				"TCP_USER_TIMEOUT": tt.wantUserTimeoutMS,
				"SO_KEEPALIVE":     1,
				"TCP_KEEPIDLE":     tt.wantIdle,
				"TCP_KEEPINTVL":    tt.wantIntvl,
				"TCP_KEEPCNT":      keepAliveProbes,
			}
			opts := map[string][2]int{
				"TCP_USER_TIMEOUT": {unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT},
				"SO_KEEPALIVE":     {unix.SOL_SOCKET, unix.SO_KEEPALIVE},
				"TCP_KEEPIDLE":     {unix.IPPROTO_TCP, unix.TCP_KEEPIDLE},
				"TCP_KEEPINTVL":    {unix.IPPROTO_TCP, unix.TCP_KEEPINTVL},
				"TCP_KEEPCNT":      {unix.IPPROTO_TCP, unix.TCP_KEEPCNT},
			}
			raw, err := conn.(syscall.Conn).SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			if err := raw.Control(func(fd uintptr) {
				for name, o := range opts {
					v, err := unix.GetsockoptInt(int(fd), o[0], o[1])
					if err != nil {
						t.Errorf("getsockopt %s: %v", name, err)
					}
					got[name] = v
				}
			}); err != nil {
				t.Fatal(err)
			}
			for name, w := range want {
				if got[name] != w {
					t.Errorf("%s = %d, want %d", name, got[name], w)
				}
			}
		})
	}
}

// TestDialUnixSocket: a DSN's unix socket is dialled as it is; the TCP
// options are not asked of it.
func TestDialUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mysqld.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := dialContext(6*time.Second)(context.Background(), "unix", path)
	if err != nil {
		t.Fatalf("dial unix socket: %v", err)
	}
	conn.Close()
}
