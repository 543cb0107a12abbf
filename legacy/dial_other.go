//go:build !linux

package legacy

import (
	"syscall"
	"time"
)

// setUserTimeout does nothing where TCP_USER_TIMEOUT is Linux's alone:
// keepalive still finds a peer that is gone.
func setUserTimeout(string, syscall.RawConn, time.Duration) error { return nil }
