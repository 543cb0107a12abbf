package mapping

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// readmeReference is the YAML block and the attribute table of the
// README's "Configuration reference".
func readmeReference(t *testing.T) (block string, tableKeys []string) {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, ref, ok := strings.Cut(string(b), "\n## Configuration reference\n")
	if !ok {
		t.Fatal("README.md has no Configuration reference section")
	}
	ref, _, _ = strings.Cut(ref, "\n## ")
	// The reference is the yaml block that starts with server:, not the
	// modeline shown above it.
	_, block, ok = strings.Cut(ref, "```yaml\nserver:\n")
	if !ok {
		t.Fatal("the Configuration reference has no yaml block starting with server:")
	}
	block, _, _ = strings.Cut("server:\n"+block, "```")
	for _, m := range regexp.MustCompile("(?m)^\\| (`[a-z_]+`(?:, `[a-z_]+`)*) \\|").FindAllStringSubmatch(ref, -1) {
		for _, k := range strings.Split(m[1], ", ") {
			tableKeys = append(tableKeys, strings.Trim(k, "`"))
		}
	}
	return block, tableKeys
}

// TestReadmeReferenceMatchesSchema keeps the README's configuration
// reference honest: its YAML block is a configuration the schema accepts,
// and every key the schema knows is shown there, in the block or in the
// table of attribute keys.
func TestReadmeReferenceMatchesSchema(t *testing.T) {
	block, tableKeys := readmeReference(t)
	if err := compileSchema(t).Validate(yamlInstance(t, []byte(block))); err != nil {
		t.Errorf("the README's reference block does not validate against %s:\n%v", schemaPath, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(block), &doc); err != nil {
		t.Fatal(err)
	}
	shown := map[string]bool{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := path + "." + n.Content[i].Value
				shown[p] = true
				walk(n.Content[i+1], p)
			}
		}
	}
	walk(&doc, "")
	// Commented-out lines show keys too (# active: { deactivate: delete }).
	for _, l := range strings.Split(block, "\n") {
		if _, c, ok := strings.Cut(l, "# "); ok {
			for _, m := range regexp.MustCompile(`([a-z_]+):`).FindAllStringSubmatch(c, -1) {
				shown["#"+m[1]] = true
			}
		}
	}
	for _, k := range tableKeys {
		shown[".attributes."+k] = true
	}
	var missing []string
	for _, k := range schemaKeys(t) {
		last := k[strings.LastIndex(k, ".")+1:]
		// groups shares the keys of users; its own are shown under groups.
		asUsers := strings.Replace(k, ".groups.", ".users.", 1)
		if !shown[k] && !shown[asUsers] && !shown["#"+last] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the README's Configuration reference does not show these keys of %s:\n  %s", schemaPath, strings.Join(missing, "\n  "))
	}
}

// schemaKeys lists every key of the schema as a dotted path (".server.listen");
// the keys of an attribute are ".attributes.<key>", for users and groups alike.
func schemaKeys(t *testing.T) []string {
	t.Helper()
	var root obj
	if err := json.Unmarshal(mustGenerate(t), &root); err != nil {
		t.Fatal(err)
	}
	defs := root["definitions"].(obj)
	var keys []string
	var walk func(s obj, path string, depth int)
	walk = func(s obj, path string, depth int) {
		if depth > 40 {
			t.Fatalf("schema nests deeper than 40 at %s", path)
		}
		if r, ok := s["$ref"].(string); ok {
			walk(defs[strings.TrimPrefix(r, "#/definitions/")].(obj), path, depth+1)
		}
		for _, k := range []string{"allOf", "anyOf", "oneOf"} {
			if alts, ok := s[k].([]any); ok {
				for _, a := range alts {
					walk(a.(obj), path, depth+1)
				}
			}
		}
		if items, ok := s["items"].(obj); ok {
			walk(items, path, depth+1)
		}
		props, _ := s["properties"].(obj)
		for name, p := range props {
			if strings.HasSuffix(path, ".scope") {
				continue // { not: value(s) }
			}
			keys = append(keys, path+"."+name)
			if name == "attributes" {
				for a := range defs["AttributeSpec"].(obj)["properties"].(obj) {
					keys = append(keys, ".attributes."+a)
				}
				continue
			}
			walk(p.(obj), path+"."+name, depth+1)
		}
	}
	walk(root, "", 0)
	sort.Strings(keys)
	return slices.Compact(keys)
}
