// Package cluster tests retroscim the way a company runs it when one machine
// is not enough: several `retroscim serve` replicas behind HAProxy, over a
// three-node MariaDB Galera cluster behind HAProxy too. The engines are the
// real ones (Debian's galera-4, rsync and haproxy); retroscim is the binary
// that `go build ./cmd/retroscim` makes, driven over HTTP, and the database is
// checked over SQL, so the test sees only what a user of retroscim sees.
//
// The test starts everything on loopback ports of its own under a temporary
// directory and removes it afterwards. It runs when RETROSCIM_CLUSTER=1 is
// set (make test-cluster); plain `go test ./...` runs only the check that the
// README shows the HAProxy and Galera configuration the test uses.
//
// The configuration lives in testdata as templates: galera.cnf.tmpl (one
// node's Galera settings), haproxy.cfg.tmpl and galera-check.sh (HAProxy's
// health check of a Galera node). The README's "Running several replicas"
// section is the same templates rendered for three database hosts.
package cluster
