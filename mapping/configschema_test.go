package mapping

//go:generate go test -run TestConfigSchemaIsCurrent -update .

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retroscim/retroscim/legacy/legacytest/golden"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// TestConfigSchemaIsCurrent keeps the committed config.schema.json equal to
// the one generated from the configuration types and their doc comments.
// go test ./mapping -run Schema -update (or go generate ./mapping)
// rewrites it.
func TestConfigSchemaIsCurrent(t *testing.T) {
	got, err := generateConfigSchema()
	if err != nil {
		t.Fatal(err)
	}
	if golden.Updating() {
		if err := os.WriteFile(schemaPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatalf("%v (run go test ./mapping -run Schema -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s is stale; run go test ./mapping -run Schema -update (-committed +generated):\n%s", schemaPath, diff)
	}
}

// TestConfigSchemaDescribesEveryKey fails when a key of config.yaml has no
// doc comment, or when the comments were not found (as when the generator
// looks for the sources in the wrong directory).
func TestConfigSchemaDescribesEveryKey(t *testing.T) {
	var root obj
	if err := json.Unmarshal(mustGenerate(t), &root); err != nil {
		t.Fatal(err)
	}
	check := func(where string, props obj) {
		for name, p := range props {
			if d, _ := p.(obj)["description"].(string); d == "" {
				t.Errorf("%s.%s has no description: give its Go field a doc comment", where, name)
			}
		}
	}
	check("(root)", root["properties"].(obj))
	for name, d := range root["definitions"].(obj) {
		if props, ok := d.(obj)["properties"].(obj); ok {
			check(name, props)
		}
	}
	want := "max_open_conns bounds the connection pool."
	if got := root["definitions"].(obj)["Database"].(obj)["properties"].(obj)["max_open_conns"].(obj)["description"]; got != want {
		t.Errorf("database.max_open_conns description = %q, want %q (from the doc comment of Database.MaxOpenConns)", got, want)
	}
}

func mustGenerate(t *testing.T) []byte {
	t.Helper()
	b, err := generateConfigSchema()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compileSchema compiles the committed schema with an independent
// validator, santhosh-tekuri/jsonschema.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("config.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("config.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlInstance turns a YAML document into the JSON value an editor's YAML
// support validates: mapping keys are text (`true:` is the key "true"),
// scalars are typed by their YAML tags, and ${ENV} is left as written.
func yamlInstance(t *testing.T, data []byte) any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	v, err := nodeValue(doc.Content[0])
	if err != nil {
		t.Fatal(err)
	}
	// Round trip through JSON so that numbers are json.Number, as the
	// validator expects.
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func nodeValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return nodeValue(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := nodeValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	}
	switch n.Tag {
	case "!!null":
		return nil, nil
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		return v, nil
	}
	return n.Value, nil
}

// shippedConfigs are every example's config.yaml and the one at the root,
// which must be a link to the sample's: its modeline is the sample's.
func shippedConfigs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../examples/*/config.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example configs found (%v)", err)
	}
	root, err := filepath.EvalSymlinks("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if root != filepath.Clean("../examples/sample/config.yaml") {
		t.Errorf("../config.yaml is %s, not a link to examples/sample/config.yaml: give it a modeline of its own and test it here", root)
	}
	return files
}

func TestShippedConfigsMatchSchema(t *testing.T) {
	s := compileSchema(t)
	for _, f := range shippedConfigs(t) {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := "# yaml-language-server: $schema=" + relSchema(t, f)
			if first, _, _ := strings.Cut(string(data), "\n"); first != want {
				t.Errorf("first line is %q, want the modeline %q", first, want)
			}
			if err := s.Validate(yamlInstance(t, data)); err != nil {
				t.Errorf("does not validate against %s:\n%v", schemaPath, err)
			}
		})
	}
}

// relSchema is the schema's path relative to the directory of file.
func relSchema(t *testing.T, file string) string {
	t.Helper()
	rel, err := filepath.Rel(filepath.Dir(file), schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(rel)
}

func TestDurationPattern(t *testing.T) {
	for s, want := range map[string]bool{
		"5s": true, "0": true, "1h30m": true, "500ms": true, "1.5s": true, "2µs": true,
		"5": false, "-5s": false, "5 s": false, "s": false, "": false, "5d": false,
	} {
		if got := durationRE.MatchString(s); got != want {
			t.Errorf("duration %q matches = %v, want %v", s, got, want)
		}
	}
}
