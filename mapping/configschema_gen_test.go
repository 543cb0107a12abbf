package mapping

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/invopop/jsonschema"
	"gopkg.in/yaml.v3"
)

// schemaPath is where the generated schema is committed: next to
// config.yaml, so that every example's modeline points up to the same file.
const schemaPath = "../config.schema.json"

// Patterns the schema shares with the loader's checks.
const (
	// identPattern is isIdent: letters, digits, _ and $, at most 64, not
	// starting with a digit.
	identPattern = `^[A-Za-z_$][A-Za-z0-9_$]{0,63}$`
	// tablePattern is a table name, optionally qualified by its database.
	tablePattern = `^[A-Za-z_$][A-Za-z0-9_$]{0,63}(\.[A-Za-z_$][A-Za-z0-9_$]{0,63})?$`
	// durationPattern is what time.ParseDuration accepts, without a sign:
	// the loader refuses negative durations.
	durationPattern = `^\+?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`
	// envPattern finds a ${NAME} or ${NAME:-default} reference, whose value
	// only the loader can check.
	envPattern = `\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}`
)

// obj is a JSON Schema object as decoded from JSON.
type obj = map[string]any

// generateConfigSchema reflects FileSpec with invopop/jsonschema, taking
// every description from the doc comments in this package's sources, and
// then writes down in JSON Schema what the loader checks by hand: enums,
// identifiers, durations, ${ENV} references and the sections kept as YAML
// nodes. It runs from the package's directory, as go test does.
func generateConfigSchema() ([]byte, error) {
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true,
		ExpandedStruct:             true,
		Anonymous:                  true,
		Mapper: func(t reflect.Type) *jsonschema.Schema {
			switch t {
			case reflect.TypeFor[yaml.Node]():
				return &jsonschema.Schema{} // written below, per field
			case reflect.TypeFor[time.Duration]():
				return &jsonschema.Schema{Ref: "#/$defs/duration"}
			}
			return nil
		},
	}
	pkg := reflect.TypeFor[FileSpec]().PkgPath()
	if err := r.AddGoComments(pkg, "."); err != nil {
		return nil, fmt.Errorf("read doc comments: %w", err)
	}
	r.LookupComment = func(t reflect.Type, field string) string {
		key := t.PkgPath() + "." + t.Name()
		if field != "" {
			key += "." + field
		}
		return describe(t, field, r.CommentMap[key])
	}
	root, err := reflectJSON(r, &FileSpec{})
	if err != nil {
		return nil, err
	}
	// Sections kept as YAML nodes are decoded later, into these types:
	// reflect them too and keep their definitions.
	r.ExpandedStruct = false
	for _, v := range []any{&ResourceSpec{}, &AttributeSpec{}, &MembersSpec{}, &DeleteSpec{}, &ScopeExistsSpec{}, &DeclaredGroupsSpec{}, &IDSpec{}} {
		res, err := reflectJSON(r, v)
		if err != nil {
			return nil, err
		}
		for name, d := range res["$defs"].(obj) {
			root["$defs"].(obj)[name] = d
		}
	}
	refine(root)
	root = toDraft07(root).(obj)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func reflectJSON(r *jsonschema.Reflector, v any) (obj, error) {
	raw, err := json.Marshal(r.Reflect(v))
	if err != nil {
		return nil, err
	}
	var o obj
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, err
	}
	return o, nil
}

// toDraft07 rewrites the 2020-12 schema invopop writes as draft-07, the
// newest draft every editor's YAML support reads (yaml-language-server
// among them): $defs become definitions, and a $ref with a description
// beside it, which draft-07 would ignore, moves into an allOf.
func toDraft07(v any) any {
	switch x := v.(type) {
	case obj:
		out := obj{}
		for k, val := range x {
			switch k {
			case "$schema":
				out[k] = "http://json-schema.org/draft-07/schema#"
			case "$defs":
				out["definitions"] = toDraft07(val)
			case "$ref":
				out[k] = strings.Replace(val.(string), "#/$defs/", "#/definitions/", 1)
			default:
				out[k] = toDraft07(val)
			}
		}
		if r, ok := out["$ref"]; ok && len(out) > 1 {
			delete(out, "$ref")
			out["allOf"] = []any{obj{"$ref": r}}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toDraft07(e)
		}
		return out
	}
	return v
}

// describe turns a Go doc comment into a DBA's description: the field's Go
// name at the start becomes its YAML key, and lines are unwrapped.
func describe(t reflect.Type, field, text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if field == "" {
		return text
	}
	f, ok := t.FieldByName(field)
	if !ok {
		return text
	}
	key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if rest, ok := strings.CutPrefix(text, field+" "); ok && key != "" {
		return key + " " + rest
	}
	if rest, ok := strings.CutPrefix(text, field+", "); ok && key != "" {
		return key + ", " + rest
	}
	return text
}

func defRef(name string) obj { return obj{"$ref": "#/$defs/" + name} }

func schemaAnyOf(alts ...any) obj { return obj{"anyOf": alts} }

func enumOrEnv(values ...string) obj {
	return schemaAnyOf(obj{"enum": values}, defRef("envRef"))
}

func patternOrEnv(pattern string) obj {
	return schemaAnyOf(obj{"type": "string", "pattern": pattern}, defRef("envRef"))
}

// scalarTypes is what yaml.v3 reads into a string field: any scalar.
var scalarTypes = []any{"string", "number", "boolean", "null"}

// set replaces a property's schema, keeping its description.
func setProp(defs obj, def, prop string, s obj) {
	props := defs[def].(obj)["properties"].(obj)
	old, ok := props[prop].(obj)
	if !ok {
		panic("no property " + def + "." + prop)
	}
	if d, ok := old["description"]; ok {
		s["description"] = d
	}
	props[prop] = s
}

// refine writes into the reflected schema what reflection cannot see.
func refine(root obj) {
	root["title"] = "retroscim config.yaml"
	root["description"] = "A retroscim configuration file: how to serve, where the app's database is, who may call, and how SCIM Users and Groups map onto the app's tables. Values may reference environment variables as ${NAME} or ${NAME:-default}."
	root["required"] = []any{"database", "users"}
	defs := root["$defs"].(obj)
	defs["FileSpec"] = obj{"properties": root["properties"]}
	defs["envRef"] = obj{"type": "string", "pattern": envPattern,
		"description": "A value taken from the environment when the file is loaded."}
	defs["duration"] = patternOrEnv(durationPattern)
	defs["duration"].(obj)["description"] = `A duration such as "500ms", "5s", "10m" or "1h30m".`
	defs["scalar"] = obj{"type": scalarTypes}
	defs["scalarOrList"] = schemaAnyOf(defRef("scalar"), obj{"type": "array", "minItems": 1, "items": defRef("scalar")})
	defs["columnValues"] = obj{"type": "object", "propertyNames": obj{"pattern": identPattern},
		"additionalProperties": defRef("scalar")}
	defs["Database"].(obj)["required"] = []any{"dsn"}

	setProp(defs, "Server", "base_path", patternOrEnv(`^[A-Za-z0-9/._-]*$`))
	setProp(defs, "Server", "public_url", patternOrEnv(`^(https?://.*)?$`))
	for _, p := range []string{"max_open_conns", "max_idle_conns", "max_conns_per_tenant"} {
		setProp(defs, "Database", p, obj{"type": "integer", "minimum": 0})
	}
	setProp(defs, "Breaker", "failures", obj{"type": "integer", "minimum": 0})
	setProp(defs, "RateLimit", "per_second", obj{"type": "number", "minimum": 0})
	setProp(defs, "RateLimit", "burst", obj{"type": "integer", "minimum": 0})
	setProp(defs, "Pagination", "default_count", obj{"type": "integer", "minimum": 0})
	setProp(defs, "Pagination", "max_count", obj{"type": "integer", "minimum": 0})
	setProp(defs, "Pagination", "cursor_cache_size", obj{"type": "integer", "minimum": 0})
	setProp(defs, "OwnTables", "schema", patternOrEnv(`^(`+strings.Trim(identPattern, "^$")+`)?$`))
	setProp(defs, "OwnTables", "prefix", patternOrEnv(`^(`+strings.Trim(identPattern, "^$")+`)?$`))
	// failure_limit, when given, must allow something.
	defs["FailureLimit"] = obj{"type": "object", "additionalProperties": false, "properties": obj{
		"per_second": obj{"type": "number", "exclusiveMinimum": 0, "description": "per_second is the average rate allowed; it must be positive."},
		"burst":      obj{"type": "integer", "minimum": 1, "description": "burst is how many may come at once, at least 1."},
	}}
	setProp(defs, "AuthSpec", "failure_limit", defRef("FailureLimit"))
	setProp(defs, "TokenSpec", "sha256", patternOrEnv(`^(\s*[0-9A-Fa-f]{64}\s*)?$`))
	setProp(defs, "TokenSpec", "token", patternOrEnv(`^(.{16,})?$`))
	defs["TokenSpec"].(obj)["not"] = obj{"required": []any{"sha256", "token"}}

	setProp(defs, "ResourceSpec", "tenant", patternOrEnv(identPattern))
	setProp(defs, "ResourceSpec", "id", schemaAnyOf(patternOrEnv(identPattern), defRef("IDSpec")))
	setProp(defs, "IDSpec", "column", patternOrEnv(identPattern))
	setProp(defs, "IDSpec", "generate", enumOrEnv("uuid", "uuid_hex", "mattermost"))
	setProp(defs, "IDSpec", "copy_to", obj{"type": "array", "items": patternOrEnv(identPattern)})
	setProp(defs, "ResourceSpec", "table", patternOrEnv(tablePattern))
	setProp(defs, "ResourceSpec", "create", enumOrEnv("deny", "allow"))
	setProp(defs, "ResourceSpec", "delete", schemaAnyOf(enumOrEnv("deactivate", "delete", "deny"), defRef("DeleteSpec")))
	setProp(defs, "ResourceSpec", "scope", schemaAnyOf(obj{"const": "all"}, defRef("envRef"), obj{
		"type": "object", "minProperties": 1, "propertyNames": obj{"pattern": identPattern},
		"properties": obj{"exists": schemaAnyOf(defRef("ScopeExistsSpec"), obj{"type": "array", "minItems": 1, "items": defRef("ScopeExistsSpec")})},
		"additionalProperties": schemaAnyOf(defRef("scalarOrList"), obj{"type": "object", "additionalProperties": false,
			"required": []any{"not"}, "properties": obj{"not": defRef("scalarOrList")}}),
	}))
	for _, p := range []string{"key", "created"} {
		setProp(defs, "ScopeExistsSpec", p, patternOrEnv(identPattern))
	}
	setProp(defs, "ScopeExistsSpec", "table", patternOrEnv(tablePattern))
	setProp(defs, "ScopeExistsSpec", "where", obj{"type": "object", "propertyNames": obj{"pattern": identPattern},
		"additionalProperties": obj{"anyOf": []any{obj{"type": "integer"}, obj{"type": "boolean"},
			obj{"type": "string", "pattern": `^[ !#-&(-\[\]-_a-~]{0,255}$`}}}})
	setProp(defs, "ResourceSpec", "defaults", defRef("columnValues"))
	setProp(defs, "ResourceSpec", "attributes", obj{"type": "object", "minProperties": 1,
		"additionalProperties": defRef("AttributeSpec")})
	setProp(defs, "ResourceSpec", "members", defRef("MembersSpec"))
	for _, p := range []string{"created", "last_modified", "version"} {
		setProp(defs, "MetaSpec", p, schemaAnyOf(patternOrEnv(identPattern), obj{
			"type": "object", "additionalProperties": false, "required": []any{"column", "epoch"},
			"properties": obj{
				"column": patternOrEnv(identPattern),
				"epoch":  enumOrEnv("seconds", "milliseconds"),
			}}))
	}
	setProp(defs, "ActiveSpec", "column", patternOrEnv(identPattern))
	setProp(defs, "ActiveSpec", "true", defRef("scalarOrList"))
	setProp(defs, "ActiveSpec", "false", defRef("scalar"))
	setProp(defs, "ActiveSpec", "deactivate", schemaAnyOf(enumOrEnv("update", "delete"),
		obj{"type": "array", "minItems": 1, "items": defRef("ActionSpec")}))
	setProp(defs, "ActiveSpec", "reactivate", obj{"type": "array", "minItems": 1, "items": defRef("ActionSpec")})
	lifeTerm := schemaAnyOf(defRef("scalarOrList"), obj{"type": "object", "additionalProperties": false,
		"required": []any{"not"}, "properties": obj{"not": defRef("scalarOrList")}})
	setProp(defs, "ActiveSpec", "when", obj{"type": "object", "minProperties": 1,
		"properties":           obj{"row": defRef("RowSpec"), "no_row": defRef("RowSpec")},
		"propertyNames":        obj{"pattern": identPattern},
		"additionalProperties": lifeTerm})
	defs["ActiveSpec"].(obj)["anyOf"] = []any{obj{"required": []any{"column"}},
		obj{"required": []any{"deactivate"}, "properties": obj{"deactivate": obj{"const": "delete"}}},
		obj{"required": []any{"when", "deactivate", "reactivate"}}}
	lifeSets := obj{"type": "object", "minProperties": 1, "propertyNames": obj{"pattern": identPattern},
		"additionalProperties": defRef("scalar")}
	setProp(defs, "ActionSpec", "set", lifeSets)
	setProp(defs, "RowWriteSpec", "set", lifeSets)
	setProp(defs, "DeleteSpec", "set", lifeSets)
	defs["ActionSpec"].(obj)["oneOf"] = []any{obj{"required": []any{"set"}}, obj{"required": []any{"write_row"}}, obj{"required": []any{"delete_row"}}}
	for _, d := range []string{"RowSpec", "RowWriteSpec"} {
		setProp(defs, d, "key", patternOrEnv(identPattern))
		setProp(defs, d, "table", patternOrEnv(tablePattern))
		setProp(defs, d, "where", obj{"type": "object", "propertyNames": obj{"pattern": identPattern},
			"additionalProperties": obj{"anyOf": []any{obj{"type": "integer"}, obj{"type": "boolean"},
				obj{"type": "string", "pattern": `^[ !#-&(-\[\]-_a-~]{0,255}$`}}}})
	}

	setProp(defs, "AttributeSpec", "column", patternOrEnv(identPattern))
	setProp(defs, "AttributeSpec", "type", enumOrEnv(string(TypeString), string(TypeBoolean), string(TypeInteger),
		string(TypeDecimal), string(TypeDateTime), string(TypeReference), string(TypeBinary)))
	setProp(defs, "AttributeSpec", "mutability", enumOrEnv(string(ReadWrite), string(Immutable), string(ReadOnly), string(WriteOnly)))
	setProp(defs, "AttributeSpec", "max_length", obj{"type": "integer", "minimum": 1})
	setProp(defs, "AttributeSpec", "values", obj{"type": "array", "minItems": 1, "items": defRef("scalar")})
	setProp(defs, "AttributeSpec", "default", defRef("scalar"))
	setProp(defs, "AttributeSpec", "hash", enumOrEnv("bcrypt", "none"))
	setProp(defs, "AttributeSpec", "unique_within", enumOrEnv("table", "scope"))
	defs["AttributeSpec"].(obj)["oneOf"] = []any{obj{"required": []any{"column"}}, obj{"required": []any{"lookup"}}}
	for _, p := range []string{"key", "match", "column", "tenant"} {
		setProp(defs, "LookupSpec", p, patternOrEnv(identPattern))
	}
	setProp(defs, "LookupSpec", "table", patternOrEnv(tablePattern))
	for _, p := range []string{"key", "first_by", "created", "last_modified"} {
		setProp(defs, "RelatedSpec", p, patternOrEnv(identPattern))
	}
	setProp(defs, "RelatedSpec", "table", patternOrEnv(tablePattern))
	setProp(defs, "RelatedSpec", "where", obj{"type": "object", "propertyNames": obj{"pattern": identPattern},
		"additionalProperties": obj{"anyOf": []any{obj{"type": "integer"}, obj{"type": "boolean"},
			obj{"type": "string", "pattern": `^[ !#-&(-\[\]-_a-~]{0,255}$`}}}})
	setProp(defs, "MembersSpec", "column", patternOrEnv(identPattern))
	setProp(defs, "MembersSpec", "rule", enumOrEnv(string(FirstWins), string(LastWins)))
	defs["MembersSpec"].(obj)["oneOf"] = []any{obj{"required": []any{"join"}}, obj{"required": []any{"column"}}}
	for _, p := range []string{"user", "group"} {
		setProp(defs, "JoinSpec", p, patternOrEnv(identPattern))
	}
	setProp(defs, "JoinSpec", "table", patternOrEnv(tablePattern))
	setProp(defs, "JoinSpec", "where", defRef("columnValues"))
	// A membership value: a constant or clock word, a column copied from
	// the group's row, or an id the app allocates.
	counter := obj{"type": "object", "additionalProperties": false, "required": []any{"table", "column"}, "properties": obj{
		"table": patternOrEnv(tablePattern), "column": patternOrEnv(identPattern), "where": defRef("columnValues")}}
	defs["memberValues"] = obj{"type": "object", "propertyNames": obj{"pattern": identPattern},
		"additionalProperties": schemaAnyOf(defRef("scalar"),
			obj{"type": "object", "additionalProperties": false, "required": []any{"group"}, "properties": obj{"group": patternOrEnv(identPattern)}},
			obj{"type": "object", "additionalProperties": false, "required": []any{"next_id"}, "properties": obj{"next_id": schemaAnyOf(obj{"const": "max"}, counter)}})}
	setProp(defs, "JoinSpec", "defaults", defRef("memberValues"))
	setProp(defs, "JoinSpec", "on_remove", schemaAnyOf(obj{"const": "delete"}, defRef("columnValues")))
	setProp(defs, "MembersSpec", "on_remove", defRef("scalar"))

	// users and groups are ResourceSpecs, each without the other's keys.
	users, groups := copyDef(defs["ResourceSpec"].(obj)), copyDef(defs["ResourceSpec"].(obj))
	delete(users["properties"].(obj), "members")
	delete(groups["properties"].(obj), "active")
	users["description"] = "users maps SCIM Users onto the app's user table."
	groups["description"] = "groups maps SCIM Groups onto the app's roles; members says how memberships are recorded."
	groups["required"] = append(groups["required"].([]any), "members")
	setProp(obj{"groups": groups}, "groups", "delete", schemaAnyOf(enumOrEnv("delete", "deny"), defRef("DeleteSpec")))
	defs["users"], defs["groups"] = users, groups
	delete(defs, "ResourceSpec")
	setProp(defs, "FileSpec", "users", defRef("users"))
	// groups is a table of groups, or names the mapping declares.
	setProp(defs, "FileSpec", "groups", schemaAnyOf(defRef("groups"), defRef("DeclaredGroupsSpec")))
	setProp(defs, "DeclaredGroupsSpec", "names", obj{"type": "array", "minItems": 1, "uniqueItems": true, "items": obj{"type": "string", "minLength": 1}})
	setProp(defs, "ListSpec", "column", patternOrEnv(identPattern))
	defs["DeclaredGroupsSpec"].(obj)["oneOf"] = []any{obj{"required": []any{"list"}}, obj{"required": []any{"rows"}}}
	setProp(defs, "ListSpec", "format", enumOrEnv("space_separated", "comma_separated", "json_array", "php_array_keys"))
	setProp(defs, "ExpirySpec", "column", patternOrEnv(identPattern))
	setProp(defs, "ExpirySpec", "format", enumOrEnv(string(ExpiryMediaWiki), string(ExpiryDatetime), string(ExpiryEpochSeconds), string(ExpiryEpochMillis)))

	nullable(defs, map[string]bool{"scope": true, "defaults": true, "attributes": true,
		"members": true, "users": true, "groups": true})
	root["properties"] = defs["FileSpec"].(obj)["properties"]
	delete(defs, "FileSpec")
}

func copyDef(d obj) obj {
	b, _ := json.Marshal(d)
	var c obj
	_ = json.Unmarshal(b, &c)
	return c
}

// nullable lets every optional key be given with no value (`key:`), which
// yaml.v3 reads as unset, and a string field hold any scalar, which yaml.v3
// reads as its text (`tenant: 1`). The keys in keep are YAML nodes that
// the loader refuses to find empty.
func nullable(defs obj, keep map[string]bool) {
	for _, d := range defs {
		def, ok := d.(obj)
		if !ok {
			continue
		}
		props, _ := def["properties"].(obj)
		var required []any
		if r, ok := def["required"].([]any); ok {
			required = r
		}
		for name, p := range props {
			s := p.(obj)
			if keep[name] || slices.Contains(required, any(name)) {
				continue
			}
			switch t := s["type"].(type) {
			case string:
				if t == "string" {
					s["type"] = scalarTypes
				} else {
					s["type"] = []any{t, "null"}
				}
				continue
			}
			if alts, ok := s["anyOf"].([]any); ok {
				s["anyOf"] = append(alts, obj{"type": "null"})
				continue
			}
			if r, ok := s["$ref"]; ok {
				delete(s, "$ref")
				s["anyOf"] = []any{obj{"$ref": r}, obj{"type": "null"}}
			}
		}
	}
}

// durationRE is durationPattern, for tests of the pattern itself.
var durationRE = regexp.MustCompile(durationPattern)
