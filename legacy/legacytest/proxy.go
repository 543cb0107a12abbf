package legacytest

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Proxy is a TCP proxy in front of the test database that a test can take
// down (every connection is cut and new ones are closed at once) or slow
// down (each chunk the server sends is delayed).
type Proxy struct {
	ln       net.Listener
	target   string
	attempts atomic.Int64

	mu      sync.Mutex
	down    bool
	latency time.Duration
	conns   map[net.Conn]struct{}
}

// NewProxy starts a proxy to the server of dsn and returns it with a DSN
// that connects through it. It stops when tb ends.
func NewProxy(tb testing.TB, dsn string) (*Proxy, string) {
	tb.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{ln: ln, target: cfg.Addr, conns: map[net.Conn]struct{}{}}
	go p.serve()
	tb.Cleanup(p.close)
	proxied := cfg.Clone()
	proxied.Addr = ln.Addr().String()
	return p, proxied.FormatDSN()
}

// Attempts counts the connections clients have opened, up or down.
func (p *Proxy) Attempts() int64 { return p.attempts.Load() }

// Down cuts every connection and refuses new ones until Up.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
}

// Up lets connections through again.
func (p *Proxy) Up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// SetLatency delays every chunk the database sends by d.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

func (p *Proxy) close() {
	p.ln.Close()
	p.Down()
}

func (p *Proxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.attempts.Add(1)
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			client.Close()
			continue
		}
		server, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.conns[client], p.conns[server] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go p.pipe(server, client, false)
		go p.pipe(client, server, true)
	}
}

// pipe copies src to dst; slow says to apply the latency (server->client).
func (p *Proxy) pipe(dst, src net.Conn, slow bool) {
	defer func() {
		dst.Close()
		src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if slow {
				p.mu.Lock()
				d := p.latency
				p.mu.Unlock()
				time.Sleep(d)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
