package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// A benchMapping is one configuration retroscim serves in the benchmark,
// derived from the sample's, and the columns the bare handler selects to
// serve the same attributes.
type benchMapping struct {
	name  string // on the command line: --mappings 4,full
	title string // in the report
	// keep are the users.attributes kept from the sample; nil keeps all.
	keep []string
	// columns are what retroscim's GET /Users/{id} selects with this
	// mapping (id, active and meta included), in its order. run checks
	// them against retroscim explain before measuring anything.
	columns []string
}

var benchMappings = []benchMapping{
	{
		name:    "4",
		title:   "4 attributes",
		keep:    []string{"userName", "name.givenName", "name.familyName", `emails[type eq "work"].value`},
		columns: []string{"id", "is_active", "created_at", "updated_at", "login", "first_name", "last_name", "email"},
	},
	{
		name:  "full",
		title: "the sample's full mapping",
		columns: []string{"id", "is_active", "created_at", "updated_at", "login", "first_name", "last_name", "display_name",
			"job_title", "email", "phone", "okta_id", "department", "employee_no"},
	},
}

func findMapping(name string) (benchMapping, bool) {
	for _, m := range benchMappings {
		if m.name == name {
			return m, true
		}
	}
	return benchMapping{}, false
}

// The rate limit retroscim runs with: on, so its cost is measured, and far
// above what two cores can serve, so it never answers 429 (the report
// counts every non-200 answer).
const (
	rateLimitPerSecond = 100000
	rateLimitBurst     = 100000
)

// deriveConfig returns the sample configuration with the rate limit set
// and, when m keeps only some attributes, the others removed. Everything
// else (token, tenant, scope, pool, admin listener, breaker defaults)
// stays as the sample ships it.
func deriveConfig(sample []byte, m benchMapping) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(sample, &doc); err != nil {
		return nil, fmt.Errorf("sample configuration: %w", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("sample configuration: not a mapping")
	}
	root := doc.Content[0]
	server, err := mappingValue(root, "server")
	if err != nil {
		return nil, err
	}
	var limit yaml.Node
	if err := yaml.Unmarshal(fmt.Appendf(nil, "{per_second: %d, burst: %d}", rateLimitPerSecond, rateLimitBurst), &limit); err != nil {
		return nil, err
	}
	setValue(server, "rate_limit", limit.Content[0])
	if m.keep != nil {
		users, err := mappingValue(root, "users")
		if err != nil {
			return nil, err
		}
		attrs, err := mappingValue(users, "attributes")
		if err != nil {
			return nil, err
		}
		var kept []*yaml.Node
		var found []string
		for i := 0; i+1 < len(attrs.Content); i += 2 {
			if slices.Contains(m.keep, attrs.Content[i].Value) {
				kept = append(kept, attrs.Content[i], attrs.Content[i+1])
				found = append(found, attrs.Content[i].Value)
			}
		}
		for _, k := range m.keep {
			if !slices.Contains(found, k) {
				return nil, fmt.Errorf("sample configuration: users.attributes has no %s", k)
			}
		}
		attrs.Content = kept
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, err
	}
	header := fmt.Sprintf("# Written by benchhttp: the sample configuration, mapping %q (%s),\n# with server.rate_limit set high enough never to throttle.\n", m.name, m.title)
	return append([]byte(header), out...), nil
}

func writeConfig(path string, sample []byte, m benchMapping, countWarm time.Duration) error {
	b, err := deriveConfig(sample, m)
	if err != nil {
		return err
	}
	if countWarm > 0 {
		if b, err = withCountWarm(b, countWarm); err != nil {
			return err
		}
	}
	return os.WriteFile(path, b, 0o600)
}

// withCountWarm sets pagination.count_warm in a configuration (run
// --count-warm): retroscim then counts the tenant's lists at start and
// keeps their totals counted.
func withCountWarm(config []byte, d time.Duration) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(config, &doc); err != nil {
		return nil, err
	}
	pagination, err := mappingValue(doc.Content[0], "pagination")
	if err != nil {
		return nil, err
	}
	setValue(pagination, "count_warm", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: d.String()})
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, err
	}
	return append([]byte("# pagination.count_warm set by benchhttp run --count-warm\n"), out...), nil
}

func mappingValue(n *yaml.Node, key string) (*yaml.Node, error) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			if v := n.Content[i+1]; v.Kind == yaml.MappingNode {
				return v, nil
			}
			return nil, fmt.Errorf("sample configuration: %s is not a mapping", key)
		}
	}
	return nil, fmt.Errorf("sample configuration: no %s section", key)
}

func setValue(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// selectColumns returns the distinct columns of a SELECT statement's list
// (`a`, `b` FROM ...), in order.
func selectColumns(stmt string) ([]string, error) {
	rest, ok := strings.CutPrefix(stmt, "SELECT ")
	list, _, found := strings.Cut(rest, " FROM ")
	if !ok || !found {
		return nil, fmt.Errorf("not a SELECT ... FROM statement: %s", stmt)
	}
	var cols []string
	for _, c := range strings.Split(list, ", ") {
		c = strings.Trim(strings.TrimSpace(c), "`")
		if !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	return cols, nil
}
