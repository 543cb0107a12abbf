package legacytest

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Proxy is a TCP proxy in front of the test database that a test can take
// down (every connection is cut and new ones are closed at once), slow
// down (each chunk the server sends is delayed), or make hang in chosen
// places: a statement that never reaches the server, a reply that never
// reaches the client, a greeting that never comes, or a blackholed server
// that accepts connections and says nothing. Held data flows on at
// Release, as TCP delivers it when a network heals.
type Proxy struct {
	ln       net.Listener
	target   string
	attempts atomic.Int64

	mu      sync.Mutex
	down    bool
	latency time.Duration
	links   map[*link]struct{}
	hold    holdRules
	// changed is closed (and replaced) whenever the hold rules change, to
	// wake the pipes waiting on them.
	changed chan struct{}
}

// holdRules say what the proxy holds back.
type holdRules struct {
	all       bool   // a blackholed server: nothing passes either way
	greeting  bool   // new connections get no greeting from the server
	statement []byte // what the client sends is held once it contains this
	reply     []byte // the server's reply to what contained this is held
}

// link is one proxied connection: the client's and the server's side.
type link struct {
	client, server net.Conn
	done           chan struct{}
	once           sync.Once
	greeted        bool // the server's first chunk has been forwarded
	replyPending   bool // the next server chunk answers a held-reply statement
}

func (l *link) close() {
	l.once.Do(func() {
		close(l.done)
		l.client.Close()
		l.server.Close()
	})
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
	p := &Proxy{ln: ln, target: cfg.Addr, links: map[*link]struct{}{}, changed: make(chan struct{})}
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
	for l := range p.links {
		l.close()
	}
}

// Up lets connections through again.
func (p *Proxy) Up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// Reset cuts every connection with a TCP reset, as a server or a firewall
// that drops its state does; new connections are accepted as usual.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for l := range p.links {
		if tc, ok := l.client.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		l.close()
	}
}

// SetLatency delays every chunk the database sends by d.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

// Blackhole makes the database silent: connections stay open, nothing is
// forwarded either way, and new connections are accepted and get no
// greeting, until Release.
func (p *Proxy) Blackhole() { p.setHold(func(h *holdRules) { h.all = true }) }

// HoldGreetings makes new connections hang in the handshake: the server's
// greeting is held until Release.
func (p *Proxy) HoldGreetings() { p.setHold(func(h *holdRules) { h.greeting = true }) }

// HoldStatements holds, on every connection, what the client sends once a
// chunk contains marker (such as "START TRANSACTION" or "COMMIT"), until
// Release: the server never sees it.
func (p *Proxy) HoldStatements(marker string) {
	p.setHold(func(h *holdRules) { h.statement = []byte(marker) })
}

// HoldReplies lets a statement containing marker reach the server and
// holds the server's reply to it until Release: for COMMIT, the server
// commits and the client never hears so.
func (p *Proxy) HoldReplies(marker string) {
	p.setHold(func(h *holdRules) { h.reply = []byte(marker) })
}

// Release ends every hold; what was held is forwarded.
func (p *Proxy) Release() { p.setHold(func(h *holdRules) { *h = holdRules{} }) }

func (p *Proxy) setHold(change func(*holdRules)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	change(&p.hold)
	close(p.changed)
	p.changed = make(chan struct{})
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
		l := &link{client: client, server: server, done: make(chan struct{})}
		p.mu.Lock()
		p.links[l] = struct{}{}
		p.mu.Unlock()
		go p.pipe(l, true)
		go p.pipe(l, false)
	}
}

// pipe copies one direction of a link: client to server when toServer,
// else server to client (delayed by the latency).
func (p *Proxy) pipe(l *link, toServer bool) {
	defer func() {
		l.close()
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	}()
	src, dst := l.server, l.client
	if toServer {
		src, dst = l.client, l.server
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.wait(l, toServer, buf[:n]) {
				return
			}
			if !toServer {
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

// wait blocks while the rules hold chunk back, and records what the chunk
// means for the rules that follow; it reports false when the link closed
// meanwhile.
func (p *Proxy) wait(l *link, toServer bool, chunk []byte) bool {
	for {
		p.mu.Lock()
		h, changed := p.hold, p.changed
		held := h.all
		switch {
		case toServer:
			held = held || (h.statement != nil && bytes.Contains(chunk, h.statement))
		default:
			held = held || (h.greeting && !l.greeted) || (h.reply != nil && l.replyPending)
		}
		if !held {
			if toServer {
				l.replyPending = h.reply != nil && bytes.Contains(chunk, h.reply)
			} else {
				l.greeted, l.replyPending = true, false
			}
		}
		p.mu.Unlock()
		if !held {
			return true
		}
		select {
		case <-changed:
		case <-l.done:
			return false
		}
	}
}
