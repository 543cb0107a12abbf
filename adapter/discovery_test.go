package adapter

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/retroscim/retroscim/legacy"
	"github.com/retroscim/retroscim/legacy/legacytest"
	"github.com/retroscim/retroscim/mapping"
)

func TestDiscoveryGolden(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct{ name, path string }{
		{"service_provider_config", "/ServiceProviderConfig"},
		{"resource_types", "/ResourceTypes"},
		{"resource_type_user", "/ResourceTypes/User"},
		{"resource_type_group", "/ResourceTypes/Group"},
		{"schemas", "/Schemas"},
		{"schema_enterprise", "/Schemas/" + url.PathEscape(mapping.EnterpriseUserSchema)},
		{"schemas_filter", "/Schemas?filter=" + q(`id eq "x"`)},
	} {
		t.Run(tt.name, func(t *testing.T) { goldenResponse(t, "discovery_"+tt.name, e.get(tt.path)) })
	}
}

// TestSchemasFollowMapping checks that /Schemas lists exactly the mapped
// attributes, with the characteristics the mapping gives them.
func TestSchemasFollowMapping(t *testing.T) {
	cfg, err := mapping.Parse("t.yaml", []byte(`
database: { dsn: x }
auth: { bearer_tokens: [ { name: t, token: "`+testToken+`" } ] }
users:
  table: users
  scope: { auth_source: saml }
  attributes:
    userName: { column: login, mutability: immutable }
    'emails[type eq "work"].value': { column: email, mutability: immutable, unique: true }
    name.givenName: { column: first_name, required: true }
    'urn:ietf:params:scim:schemas:core:2.0:User:pantherRole': { column: department, description: "The user's Panther role" }
`))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, cfg, sampleSchema(t))
	body := e.get("/Schemas/" + url.PathEscape(mapping.UserSchema)).json(t)
	attrs := map[string]map[string]any{}
	for _, a := range body["attributes"].([]any) {
		m := a.(map[string]any)
		attrs[m["name"].(string)] = m
	}
	if len(attrs) != 4 {
		t.Errorf("attributes = %v, want userName, name, emails, pantherRole only", keys(attrs))
	}
	if a := attrs["userName"]; a["mutability"] != "immutable" || a["uniqueness"] != "server" || a["caseExact"] != false || a["required"] != true {
		t.Errorf("userName = %v", a)
	}
	if a := attrs["pantherRole"]; a["type"] != "string" || a["description"] != "The user's Panther role" {
		t.Errorf("pantherRole = %v", a)
	}
	subs := map[string]map[string]any{}
	for _, s := range attrs["emails"]["subAttributes"].([]any) {
		m := s.(map[string]any)
		subs[m["name"].(string)] = m
	}
	if v := subs["value"]; v["mutability"] != "immutable" || v["uniqueness"] != "server" {
		t.Errorf("emails.value = %v", v)
	}
	if _, ok := subs["display"]; ok || subs["type"]["canonicalValues"].([]any)[0] != "work" {
		t.Errorf("emails sub-attributes = %v", subs)
	}
	nameSubs := attrs["name"]["subAttributes"].([]any)
	if len(nameSubs) != 1 || nameSubs[0].(map[string]any)["required"] != true {
		t.Errorf("name sub-attributes = %v", nameSubs)
	}
	// No extension is mapped, so none is listed.
	if r := e.get("/ResourceTypes/User"); strings.Contains(string(r.Body), "schemaExtensions") {
		t.Errorf("/ResourceTypes/User lists extensions: %s", r.Body)
	}
	if r := e.get("/Schemas/" + url.PathEscape(mapping.EnterpriseUserSchema)); r.Status != http.StatusNotFound {
		t.Errorf("unmapped enterprise schema: %d, want 404", r.Status)
	}
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestBindSchemaErrors(t *testing.T) {
	dsn := legacytest.NewDatabase(t, sampleSchema(t), "ALTER TABLE users DROP COLUMN job_title")
	store, err := legacy.Open(t.Context(), dsn, legacy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cfg, err := mapping.LoadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = BindSchema(t.Context(), cfg, store)
	want := fmt.Sprintf(`../config.yaml:%d: users.attributes.title.column: column "job_title" does not exist in table "users"`, lineContaining(t, "../config.yaml", "title:"))
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("BindSchema = %v\nwant %s", err, want)
	}
}

// lineContaining returns the 1-based line of the first line of path that
// contains substr.
func lineContaining(t *testing.T, path, substr string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, substr) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line containing %q", path, substr)
	return 0
}
