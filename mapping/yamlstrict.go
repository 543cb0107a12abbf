package mapping

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// ConfigError is one problem in a configuration file, located by line and
// by the dotted key a DBA would look for.
type ConfigError struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ConfigErrors is every problem found in one configuration file, in file
// order. Loading reports them all at once so a DBA fixes them in one pass.
type ConfigErrors []*ConfigError

func (es ConfigErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// problems collects ConfigErrors while a file is decoded and validated.
type problems struct {
	file string
	list ConfigErrors
}

func (p *problems) add(line int, key, format string, args ...any) {
	p.list = append(p.list, &ConfigError{File: p.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	sort.SliceStable(p.list, func(i, j int) bool { return p.list[i].Line < p.list[j].Line })
	return p.list
}

// expandEnv replaces ${NAME} and ${NAME:-default} in every scalar of the
// tree. Expansion happens after parsing, so a variable's value can never
// change the YAML structure, and errors keep their line numbers.
func expandEnv(n *yaml.Node, key string, p *problems) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			k := key
			if n.Kind == yaml.SequenceNode {
				k = fmt.Sprintf("%s[%d]", key, i)
			}
			expandEnv(c, k, p)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			expandEnv(n.Content[i+1], joinKey(key, n.Content[i].Value), p)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		out, err := expandString(n.Value)
		if err != nil {
			p.add(n.Line, key, "%v", err)
			return
		}
		n.Value = out
		// A substituted value is a string, whatever it looks like.
		if n.Tag == "" || n.Tag == "!!null" || n.Tag == "!!bool" || n.Tag == "!!int" || n.Tag == "!!float" {
			n.Tag = "!!str"
		}
	}
}

func expandString(s string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' { // $${ is a literal ${
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s)
		}
		expr := s[i+2 : i+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !isEnvName(name) {
			return "", fmt.Errorf("%q is not an environment variable name", name)
		}
		v, ok := os.LookupEnv(name)
		switch {
		case ok && v != "":
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		case ok:
			// set but empty: an empty value is what was asked for
		default:
			return "", fmt.Errorf("environment variable %s is not set (write ${%s:-default} to give a default)", name, name)
		}
		s = s[i+end+1:]
	}
}

func isEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

func joinKey(parent, key string) string {
	if parent == "" {
		return key
	}
	if strings.ContainsAny(key, ".[ :") {
		key = `"` + key + `"`
	}
	return parent + "." + key
}

var (
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	nodeType        = reflect.TypeOf(yaml.Node{})
)

// decodeStrict decodes n into out, first checking every mapping key against
// the yaml tags of the target struct so that a typo is reported with its
// line and the key that was probably meant. Types that implement
// yaml.Unmarshaler validate their own keys.
func decodeStrict(n *yaml.Node, key string, out any, p *problems) {
	before := len(p.list)
	checkKeys(n, reflect.TypeOf(out), key, p)
	if len(p.list) > before {
		return
	}
	if err := n.Decode(out); err != nil {
		addDecodeError(n, key, err, p)
	}
}

// addDecodeError turns yaml.v3's type errors ("line 3: cannot unmarshal
// !!str `abc` into int") into ConfigErrors; errors from our own
// UnmarshalYAML methods are already ConfigErrors and pass through.
func addDecodeError(n *yaml.Node, key string, err error, p *problems) {
	var ces ConfigErrors
	if errors.As(err, &ces) {
		p.list = append(p.list, ces...)
		return
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		p.list = append(p.list, ce)
		return
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, msg := range te.Errors {
			line, k := n.Line, key
			if rest, ok := strings.CutPrefix(msg, "line "); ok {
				if _, err := fmt.Sscanf(rest, "%d:", &line); err == nil {
					_, msg, _ = strings.Cut(rest, ": ")
					if found := keyAtLine(n, key, line); found != "" {
						k = found
					}
				}
			}
			p.add(line, k, "%s", strings.ReplaceAll(msg, "!!", ""))
		}
		return
	}
	p.add(n.Line, key, "%v", err)
}

func checkKeys(n *yaml.Node, t reflect.Type, key string, p *problems) {
	for t.Kind() == reflect.Pointer {
		if t.Implements(unmarshalerType) {
			return
		}
		t = t.Elem()
	}
	if t == nodeType || reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
		return
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return
			}
			p.add(n.Line, key, "expected a mapping of keys (%s), got %s", strings.Join(fieldNames(t), ", "), describeNode(n))
			return
		}
		fields := structFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("unknown key %q", k.Value)
				if s := suggest(k.Value, fieldNames(t)); s != "" {
					msg += fmt.Sprintf(", did you mean %q?", s)
				} else {
					msg += fmt.Sprintf("; known keys: %s", strings.Join(fieldNames(t), ", "))
				}
				p.add(k.Line, joinKey(key, k.Value), "%s", msg)
				continue
			}
			checkKeys(v, f.Type, joinKey(key, k.Value), p)
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				checkKeys(n.Content[i+1], t.Elem(), joinKey(key, n.Content[i].Value), p)
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for i, c := range n.Content {
				checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", key, i), p)
			}
		}
	}
}

func structFields(t reflect.Type) map[string]reflect.StructField {
	m := make(map[string]reflect.StructField)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = f
	}
	return m
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return "nothing"
}

// suggest returns the candidate closest to s when it is close enough to be
// a plausible typo, compared case-insensitively.
func suggest(s string, candidates []string) string {
	best, bestDist := "", 3
	if len(s) <= 4 {
		bestDist = 2
	}
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// keyAtLine finds the dotted key whose value sits on line, for messages
// from yaml.v3 that only give a line.
func keyAtLine(n *yaml.Node, key string, line int) string {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ck := joinKey(key, k.Value)
			if found := keyAtLine(v, ck, line); found != "" {
				return found
			}
			if v.Line == line && v.Kind == yaml.ScalarNode {
				return ck
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if found := keyAtLine(c, fmt.Sprintf("%s[%d]", key, i), line); found != "" {
				return found
			}
		}
	}
	return ""
}
