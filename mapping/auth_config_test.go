package mapping

import (
	"strings"
	"testing"
)

// TestFailureLimitAndProxies: auth.failure_limit has a default and must
// be positive; server.trusted_proxies takes addresses and CIDR ranges.
func TestFailureLimitAndProxies(t *testing.T) {
	const users = "users:\n  table: users\n  scope: all\n  attributes:\n    userName: { column: login }\n"
	cfg, err := Parse("t.yaml", []byte("database: { dsn: x }\n"+users))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Auth.FailureLimit != DefaultFailureLimit || len(cfg.Server.TrustedNets) != 0 {
		t.Errorf("defaults: failure limit %+v, trusted proxies %v", cfg.Auth.FailureLimit, cfg.Server.TrustedNets)
	}
	cfg, err = Parse("t.yaml", []byte("database: { dsn: x }\nserver:\n  trusted_proxies: [10.0.0.0/8, 192.0.2.1, \"2001:db8::/32\"]\nauth:\n  failure_limit: { per_second: 2, burst: 30 }\n"+users))
	if err != nil {
		t.Fatal(err)
	}
	var nets []string
	for _, n := range cfg.Server.TrustedNets {
		nets = append(nets, n.String())
	}
	if got := strings.Join(nets, " "); got != "10.0.0.0/8 192.0.2.1/32 2001:db8::/32" {
		t.Errorf("trusted nets = %s", got)
	}
	if cfg.Auth.FailureLimit != (RateLimit{PerSecond: 2, Burst: 30}) {
		t.Errorf("failure limit = %+v", cfg.Auth.FailureLimit)
	}
	for _, tt := range []struct{ src, want string }{
		{"server:\n  trusted_proxies: [10.0.0.0/33]\n", `t.yaml:2: server.trusted_proxies: "10.0.0.0/33" is neither an IP address nor a CIDR range`},
		{"server:\n  trusted_proxies: [proxy.internal]\n", `"proxy.internal" is neither an IP address nor a CIDR range`},
		{"auth:\n  failure_limit: { per_second: 0, burst: 10 }\n", "t.yaml:2: auth.failure_limit: per_second must be positive and burst at least 1"},
		{"auth:\n  failure_limit: { per_second: 1 }\n", "auth.failure_limit: per_second must be positive and burst at least 1"},
	} {
		_, err := Parse("t.yaml", []byte("database: { dsn: x }\n"+tt.src+users))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want %q", tt.src, err, tt.want)
		}
	}
}
