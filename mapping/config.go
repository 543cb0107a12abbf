package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is a whole retroscim configuration file: how to serve, where the
// app's database is, who may call, and how SCIM resources map onto tables.
type Config struct {
	// File is the path the configuration was read from, for messages.
	File       string
	Server     Server
	Database   Database
	Store      OwnTables
	Auth       Auth
	Pagination Pagination
	// Users maps SCIM Users onto the app's user table; always present.
	Users *Resource
	// Groups maps SCIM Groups onto the app's roles, and Members says how
	// memberships are recorded; both nil when the app serves no /Groups.
	Groups  *Resource
	Members *Membership
	// RoleList is set instead of Groups and Members when the mapping
	// declares its groups by name, kept as a list in a users column.
	RoleList *RoleList
}

// Server holds the HTTP settings.
type Server struct {
	// Listen is the address to listen on, such as ":8080".
	Listen string `yaml:"listen"`
	// BasePath is the URL prefix of the SCIM endpoints, such as "/scim/v2".
	BasePath string `yaml:"base_path"`
	// PublicURL is the externally visible origin used in meta.location and
	// Location headers (https://scim.example.com). When empty, the request's
	// own scheme and Host are used.
	PublicURL string `yaml:"public_url"`
	// AdminListen, when set, serves /healthz, /readyz and /metrics on this
	// address instead of the API's.
	AdminListen string `yaml:"admin_listen"`
	// Pprof serves Go's profiler (net/http/pprof) under /debug/pprof/ on
	// the admin listener, and nowhere else; it needs admin_listen. Off by
	// default: a profile shows the process's insides to whoever can reach
	// that address.
	Pprof bool `yaml:"pprof"`
	// MaxBodyBytes bounds request bodies; larger ones get 413. Default 1 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// RateLimit bounds requests per token.
	RateLimit RateLimit `yaml:"rate_limit"`
	// TrustedProxies are the addresses (IPs or CIDR ranges) of reverse
	// proxies whose X-Forwarded-For header is believed when telling
	// clients apart. Empty: the client is the connection's address.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// TrustedNets are TrustedProxies, parsed.
	TrustedNets []*net.IPNet `yaml:"-"`
	// DryRun serves every request with the real code, reads included,
	// but runs no write: each would-be change is recorded in retroscim's
	// dry-run table instead (retroscim report reads it). A reload
	// (SIGHUP) switches it on or off.
	DryRun bool `yaml:"dry_run"`
}

// RateLimit is a token bucket per bearer token: PerSecond requests a
// second on average, Burst at once. PerSecond 0 switches it off.
type RateLimit struct {
	// PerSecond is the average rate allowed; 0 switches the limit off.
	PerSecond float64 `yaml:"per_second"`
	// Burst is how many requests may come at once.
	Burst int `yaml:"burst"`
}

// OwnTables names where retroscim keeps its own tables (tokens, audit).
type OwnTables struct {
	// Schema is a database of their own; empty: the app's database.
	Schema string `yaml:"schema"`
	// Prefix starts their names; default "retroscim_".
	Prefix string `yaml:"prefix"`
}

// Database holds the connection settings for the app's database.
type Database struct {
	// DSN is a go-sql-driver/mysql data source name.
	DSN string `yaml:"dsn"`
	// MaxOpenConns bounds the connection pool.
	MaxOpenConns int `yaml:"max_open_conns"`
	// MaxIdleConns bounds idle connections kept in the pool.
	MaxIdleConns int `yaml:"max_idle_conns"`
	// ConnMaxLifetime recycles connections older than this.
	ConnMaxLifetime time.Duration `yaml:"conn_max_lifetime"`
	// QueryTimeout is the deadline of every statement.
	QueryTimeout time.Duration `yaml:"query_timeout"`
	// ConnMaxIdleTime closes connections idle this long.
	ConnMaxIdleTime time.Duration `yaml:"conn_max_idle_time"`
	// MaxConnsPerTenant bounds the requests of one tenant that use the
	// database at once (mappings with tenants only), so that one tenant
	// cannot take the whole pool; beyond it, 429 with Retry-After.
	// Default: half of max_open_conns, at least 1.
	MaxConnsPerTenant int `yaml:"max_conns_per_tenant"`
	// Breaker opens after failures consecutive database failures and fails
	// requests at once for open_for, then lets one probe through.
	Breaker Breaker `yaml:"breaker"`
}

// Breaker holds the circuit breaker settings.
type Breaker struct {
	// Failures is how many consecutive database failures open the breaker. Default 5.
	Failures int `yaml:"failures"`
	// OpenFor is how long an open breaker fails requests at once, such as "10s".
	OpenFor time.Duration `yaml:"open_for"`
}

// Auth lists who may call the SCIM API: tokens from the configuration,
// and the tokens in retroscim's own table (retroscim token create).
type Auth struct {
	BearerTokens []BearerToken
	// TokenCacheTTL is how long a stored token's check is reused; it bounds
	// how late a revocation or expiry takes effect. Default 5s.
	TokenCacheTTL time.Duration
	// FailureLimit bounds failed authentications per client address:
	// beyond it, requests that would need a token check get 429 without
	// the database being asked. Default 0.5 a second, 10 at once.
	FailureLimit RateLimit
}

// BearerToken is one accepted bearer token, known only by its SHA-256.
type BearerToken struct {
	Name string
	// SHA256 is the digest of the token; the token itself is never kept.
	SHA256 [32]byte
	// Tenant is the tenant the token acts for, when the mapping has tenants.
	Tenant string
}

// Pagination holds list settings.
type Pagination struct {
	// DefaultCount is the page size when a request gives no count.
	DefaultCount int `yaml:"default_count"`
	// MaxCount caps the page size; larger counts are served as max_count.
	MaxCount int `yaml:"max_count"`
	// CountTTL is how long a totalResults count is reused for the same
	// filter before it is counted again (in the background while pages
	// come, up to twice count_ttl; after that inside the request).
	CountTTL time.Duration `yaml:"count_ttl"`
	// CountWarm is how long after a page last needed a list's total the
	// count is kept counted in the background (once per count_ttl), so
	// that the first page of the next import does not wait for a
	// COUNT(*); at start, each token's tenant has its lists counted.
	// 0, the default, keeps none.
	CountWarm time.Duration `yaml:"count_warm"`
	// CursorTTL is how long a remembered page position stays usable.
	CursorTTL time.Duration `yaml:"cursor_ttl"`
	// CursorCacheSize bounds how many list queries have remembered positions.
	CursorCacheSize int `yaml:"cursor_cache_size"`
}

// Defaults applied to settings a file leaves out.
const (
	DefaultListen       = ":8080"
	DefaultBasePath     = "/scim/v2"
	DefaultCount        = 100
	DefaultMaxCount     = 1000
	DefaultQueryTimeout = 5 * time.Second
)

// DefaultFailureLimit is auth.failure_limit when a file leaves it out.
var DefaultFailureLimit = RateLimit{PerSecond: 0.5, Burst: 10}

// LoadFile reads, decodes and validates a configuration file.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a configuration. name is used in messages.
// Every problem found is reported, as ConfigErrors.
func Parse(name string, data []byte) (*Config, error) {
	p := &problems{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.add(0, "", "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, p.err()
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.add(0, "", "the file is empty; it needs at least database and users sections")
		return nil, p.err()
	}
	root := doc.Content[0]
	expandEnv(root, "", p)

	var spec FileSpec
	decodeStrict(root, "", &spec, p)
	if len(p.list) > 0 {
		return nil, p.err()
	}
	cfg := &Config{File: name, Server: spec.Server, Database: spec.Database, Store: spec.Store, Pagination: spec.Pagination}
	cfg.applyDefaults()
	cfg.validateServer(root, p)
	if spec.Users.Kind == 0 {
		p.add(0, "users", "missing: the users section says which table holds users and how columns map to SCIM attributes")
	} else {
		cfg.Users = compileResource(&spec.Users, "users", coreUser, p)
	}
	if spec.Groups.Kind != 0 && declaresGroups(&spec.Groups) {
		if cfg.Users != nil {
			cfg.RoleList = compileRoleList(&spec.Groups, cfg.Users, p)
		}
	} else if spec.Groups.Kind != 0 {
		cfg.Groups = compileResource(&spec.Groups, "groups", coreGroup, p)
		if cfg.Groups != nil && cfg.Users != nil {
			cfg.Members = compileMembership(valueOf(&spec.Groups, "members"), cfg.Users, cfg.Groups, p)
		}
	}
	cfg.Auth = compileAuth(spec.Auth, root, cfg.Users, p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// applyDefaults fills in what the server and the adapter read from the
// configuration. The connection pool's and the breaker's own defaults
// live with them in legacy.Options (a zero value here means "legacy's
// default"); max_open_conns and query_timeout are set here too because
// the per-tenant connection limit is derived from them.
func (c *Config) applyDefaults() {
	if c.Server.Listen == "" {
		c.Server.Listen = DefaultListen
	}
	if c.Server.BasePath == "" {
		c.Server.BasePath = DefaultBasePath
	}
	c.Server.BasePath = "/" + strings.Trim(c.Server.BasePath, "/")
	if c.Server.BasePath == "/" {
		c.Server.BasePath = ""
	}
	c.Server.PublicURL = strings.TrimRight(c.Server.PublicURL, "/")
	if c.Database.MaxOpenConns == 0 {
		c.Database.MaxOpenConns = 20
	}
	if c.Database.QueryTimeout == 0 {
		c.Database.QueryTimeout = DefaultQueryTimeout
	}
	if c.Database.MaxConnsPerTenant == 0 {
		c.Database.MaxConnsPerTenant = max(1, c.Database.MaxOpenConns/2)
	}
	if c.Pagination.DefaultCount == 0 {
		c.Pagination.DefaultCount = DefaultCount
	}
	if c.Pagination.MaxCount == 0 {
		c.Pagination.MaxCount = DefaultMaxCount
	}
	if c.Pagination.CountTTL == 0 {
		c.Pagination.CountTTL = 30 * time.Second
	}
	if c.Pagination.CursorTTL == 0 {
		c.Pagination.CursorTTL = 10 * time.Minute
	}
	if c.Pagination.CursorCacheSize == 0 {
		c.Pagination.CursorCacheSize = 4096
	}
	if c.Server.RateLimit.PerSecond > 0 && c.Server.RateLimit.Burst == 0 {
		c.Server.RateLimit.Burst = int(2*c.Server.RateLimit.PerSecond) + 1
	}
	if c.Store.Prefix == "" {
		c.Store.Prefix = "retroscim_"
	}
}

func (c *Config) validateServer(root *yaml.Node, p *problems) {
	if c.Database.DSN == "" {
		p.add(lineOf(root, "database"), "database.dsn", "missing: give the app database's DSN, e.g. dsn: \"${RETROSCIM_DSN}\" with RETROSCIM_DSN=user:pass@tcp(db:3306)/app")
	}
	if c.Database.MaxOpenConns < 0 || c.Database.MaxIdleConns < 0 || c.Database.MaxConnsPerTenant < 0 {
		p.add(lineOf(root, "database"), "database", "max_open_conns, max_idle_conns and max_conns_per_tenant must not be negative")
	}
	if c.Database.QueryTimeout < 0 {
		p.add(lineOf(root, "database"), "database.query_timeout", "must be positive")
	}
	if c.Database.ConnMaxLifetime < 0 || c.Database.ConnMaxIdleTime < 0 {
		p.add(lineOf(root, "database"), "database", "conn_max_lifetime and conn_max_idle_time must be positive")
	}
	if c.Server.Pprof && c.Server.AdminListen == "" {
		p.add(lineOf(root, "server"), "server.pprof", "needs server.admin_listen: the profiler is served only on the admin listener, never on the API's")
	}
	if c.Pagination.CountTTL < 0 || c.Pagination.CursorTTL < 0 || c.Pagination.CountWarm < 0 {
		p.add(lineOf(root, "pagination"), "pagination", "count_ttl, count_warm and cursor_ttl must be positive")
	}
	if c.Database.Breaker.Failures < 0 || c.Database.Breaker.OpenFor < 0 {
		p.add(lineOf(root, "database"), "database.breaker", "failures and open_for must be positive")
	}
	if c.Pagination.DefaultCount < 0 || c.Pagination.MaxCount < 1 || c.Pagination.DefaultCount > c.Pagination.MaxCount {
		p.add(lineOf(root, "pagination"), "pagination", "need 0 <= default_count <= max_count and max_count >= 1 (got %d and %d)", c.Pagination.DefaultCount, c.Pagination.MaxCount)
	}
	if c.Pagination.CursorCacheSize < 0 {
		p.add(lineOf(root, "pagination"), "pagination.cursor_cache_size", "must not be negative")
	}
	if c.Server.RateLimit.PerSecond < 0 || c.Server.RateLimit.Burst < 0 {
		p.add(lineOf(root, "server"), "server.rate_limit", "per_second and burst must not be negative")
	}
	if c.Store.Schema != "" && !isIdent(c.Store.Schema) {
		p.add(lineOf(root, "store"), "store.schema", "%q is not a valid database name", c.Store.Schema)
	}
	if !isIdent(c.Store.Prefix) {
		p.add(lineOf(root, "store"), "store.prefix", "%q is not a valid table name prefix", c.Store.Prefix)
	}
	if u := c.Server.PublicURL; u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		p.add(lineOf(root, "server"), "server.public_url", "must start with http:// or https://, got %q", u)
	}
	for _, a := range c.Server.TrustedProxies {
		n, err := parseNet(a)
		if err != nil {
			p.add(lineOf(root, "server"), "server.trusted_proxies", "%q is neither an IP address nor a CIDR range such as 10.0.0.0/8", a)
			continue
		}
		c.Server.TrustedNets = append(c.Server.TrustedNets, n)
	}
	for _, r := range c.Server.BasePath {
		if !(r == '/' || r == '-' || r == '_' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			p.add(lineOf(root, "server"), "server.base_path", "%q may only contain letters, digits, \"/\", \"-\", \"_\" and \".\"", c.Server.BasePath)
			break
		}
	}
}

func compileAuth(spec AuthSpec, root *yaml.Node, users *Resource, p *problems) Auth {
	a := Auth{TokenCacheTTL: spec.TokenCacheTTL}
	if a.TokenCacheTTL == 0 {
		a.TokenCacheTTL = 5 * time.Second
	}
	if a.TokenCacheTTL < 0 {
		p.add(lineOf(root, "auth"), "auth.token_cache_ttl", "must be positive")
	}
	a.FailureLimit = DefaultFailureLimit
	if spec.FailureLimit != nil {
		a.FailureLimit = *spec.FailureLimit
		if a.FailureLimit.PerSecond <= 0 || a.FailureLimit.Burst < 1 {
			p.add(lineOf(root, "auth"), "auth.failure_limit", "per_second must be positive and burst at least 1 (default: { per_second: %g, burst: %d })", DefaultFailureLimit.PerSecond, DefaultFailureLimit.Burst)
		}
	}
	line := lineOf(root, "auth")
	seen := map[[32]byte]string{}
	for i, t := range spec.BearerTokens {
		key := fmt.Sprintf("auth.bearer_tokens[%d]", i)
		tok := BearerToken{Name: t.Name, Tenant: t.Tenant}
		if tok.Name == "" {
			tok.Name = fmt.Sprintf("token-%d", i+1)
		}
		switch {
		case t.SHA256 != "" && t.Token != "":
			p.add(line, key, "give either sha256 or token, not both")
			continue
		case t.SHA256 != "":
			b, err := hex.DecodeString(strings.TrimSpace(t.SHA256))
			if err != nil || len(b) != 32 {
				p.add(line, key+".sha256", "must be 64 hexadecimal characters (the output of `retroscim token hash`)")
				continue
			}
			copy(tok.SHA256[:], b)
		case t.Token != "":
			if len(t.Token) < 16 {
				p.add(line, key+".token", "a bearer token must be at least 16 characters long")
				continue
			}
			tok.SHA256 = sha256.Sum256([]byte(t.Token))
		default:
			// An entry whose ${VAR:-} expanded to nothing is switched off.
			continue
		}
		if prev, dup := seen[tok.SHA256]; dup {
			p.add(line, key, "same token as %s", prev)
			continue
		}
		seen[tok.SHA256] = tok.Name
		if users != nil && users.HasTenant() && tok.Tenant == "" {
			p.add(line, key+".tenant", "users.tenant is set, so every token must name the tenant it acts for")
			continue
		}
		if users != nil && !users.HasTenant() && tok.Tenant != "" {
			p.add(line, key+".tenant", "has a tenant but users.tenant names no tenant column")
			continue
		}
		a.BearerTokens = append(a.BearerTokens, tok)
	}
	return a
}

// parseNet parses an IP range, or one address as a range of one.
func parseNet(s string) (*net.IPNet, error) {
	if _, n, err := net.ParseCIDR(s); err == nil {
		return n, nil
	}
	ip := net.ParseIP(s)
	if ip == nil {
		return nil, fmt.Errorf("not an address: %q", s)
	}
	bits := 128
	if ip4 := ip.To4(); ip4 != nil {
		ip, bits = ip4, 32
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, nil
}

// lineOf returns the line of key in mapping node n, or n's own line.
func lineOf(n *yaml.Node, key string) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	return n.Line
}

// valueOf returns the value node of key in mapping node n, or nil.
func valueOf(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
