package cluster

import (
	_ "embed"
	"strings"
	"text/template"
)

// The configuration of the engines, as templates the test renders for its
// loopback ports and the README renders for three database hosts.
var (
	//go:embed testdata/galera.cnf.tmpl
	galeraTemplate string
	//go:embed testdata/haproxy.cfg.tmpl
	haproxyTemplate string
	//go:embed testdata/galera-check.sh
	galeraCheck string
	//go:embed testdata/scim-503.http
	scimUnavailable string
)

// nodeAddr is where one Galera node listens: SQL clients, group
// communication, incremental state transfer (IST) and full state transfer
// (SST, rsync).
type nodeAddr struct {
	Name       string
	Host       string
	Port       int
	GaleraPort int
	ISTPort    int
	SSTPort    int
}

// replicaAddr is one retroscim replica as HAProxy names it: the SCIM API
// at Addr, /readyz on AdminPort (server.admin_listen).
type replicaAddr struct {
	Name      string
	Addr      string
	AdminPort int
}

// galeraParams fill galera.cnf.tmpl for one node.
type galeraParams struct {
	Cluster string
	Nodes   []nodeAddr
	Node    nodeAddr
}

// haproxyParams fill haproxy.cfg.tmpl.
type haproxyParams struct {
	StatsSocket string
	CheckScript string
	// SCIMUnavailable is the answer HAProxy sends when no replica is ready.
	SCIMUnavailable string
	Writer          string // galera_writer: one node at a time
	All             string // galera_all: every node
	SCIM            string // the SCIM API, round robin over Replicas
	Nodes           []nodeAddr
	Replicas        []replicaAddr
}

func render(name, text string, data any) (string, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// readmeNodes and readmeHAProxy are what the README shows: three database
// hosts on the default ports, HAProxy next to them, two replicas.
var readmeNodes = []nodeAddr{
	{Name: "db1", Host: "10.0.0.11", Port: 3306, GaleraPort: 4567, ISTPort: 4568, SSTPort: 4444},
	{Name: "db2", Host: "10.0.0.12", Port: 3306, GaleraPort: 4567, ISTPort: 4568, SSTPort: 4444},
	{Name: "db3", Host: "10.0.0.13", Port: 3306, GaleraPort: 4567, ISTPort: 4568, SSTPort: 4444},
}

var readmeHAProxy = haproxyParams{
	StatsSocket:     "/run/haproxy/admin.sock",
	CheckScript:     "/etc/haproxy/galera-check.sh",
	SCIMUnavailable: "/etc/haproxy/scim-503.http",
	Writer:          ":3306",
	All:             ":3307",
	SCIM:            ":8080",
	Nodes:           readmeNodes,
	Replicas:        []replicaAddr{{Name: "scim1", Addr: "10.0.0.21:8080", AdminPort: 9090}, {Name: "scim2", Addr: "10.0.0.22:8080", AdminPort: 9090}},
}
