package mapping

import (
	"os"
	"testing"
)

// TestChooseKeysetIndex: the index a keyset walk reads through holds the
// bound columns (the tenant among them) and then the id, the primary key
// appended to a secondary index counting.
func TestChooseKeysetIndex(t *testing.T) {
	primary := Index{Name: "PRIMARY", Unique: true, Columns: []string{"id"}}
	tenantScoped := &Resource{Table: "users", IDColumn: "id", TenantColumn: "org_id", Scope: []ScopeTerm{{Column: "auth_source", Values: []any{"saml"}}}}
	scopeOnly := &Resource{Table: "users", IDColumn: "id", Scope: []ScopeTerm{{Column: "auth_source", Values: []any{"saml"}}}}
	multiScope := &Resource{Table: "users", IDColumn: "id", Scope: []ScopeTerm{{Column: "auth_source", Values: []any{"saml", "oidc"}}}}
	tests := []struct {
		name string
		r    *Resource
		idx  []Index
		want string
	}{
		{"tenant then id", tenantScoped, []Index{primary, {Name: "ix_login", Columns: []string{"login"}}, {Name: "ix_users_org_id", Columns: []string{"org_id", "id"}}}, "ix_users_org_id"},
		{"tenant alone: the primary key follows", tenantScoped, []Index{primary, {Name: "ix_org", Columns: []string{"org_id"}}}, "ix_org"},
		{"more bound columns win", tenantScoped, []Index{primary, {Name: "ix_org", Columns: []string{"org_id", "id"}}, {Name: "ix_src_org", Columns: []string{"auth_source", "org_id", "id"}}}, "ix_src_org"},
		{"scope column without the tenant does not serve", tenantScoped, []Index{primary, {Name: "ix_src", Columns: []string{"auth_source", "id"}}}, ""},
		{"tenant then another column", tenantScoped, []Index{primary, {Name: "ix_org_login", Columns: []string{"org_id", "login"}}}, ""},
		{"no primary key to append", tenantScoped, []Index{{Name: "ix_org", Columns: []string{"org_id"}}}, ""},
		{"scope alone", scopeOnly, []Index{primary, {Name: "ix_src", Columns: []string{"auth_source"}}}, "ix_src"},
		{"nothing bound: the primary key serves", multiScope, []Index{primary, {Name: "ix_src", Columns: []string{"auth_source"}}}, ""},
		{"case of names", tenantScoped, []Index{primary, {Name: "IX", Columns: []string{"ORG_ID", "ID"}}}, "IX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.chooseKeysetIndex(tt.idx); got != tt.want {
				t.Errorf("chooseKeysetIndex = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestListQueryForcesKeysetIndex: only an unfiltered list in id order
// names the index; a filter or another sort key leaves the plan to the
// optimizer, and so does a binding without index facts.
func TestListQueryForcesKeysetIndex(t *testing.T) {
	data, err := os.ReadFile("testdata/write.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse("write.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Users
	if q, err := r.ListQuery(ListRequest{}, "1"); err != nil || q.Index != "" {
		t.Fatalf("before BindIndexes: Index %q, err %v; want none", q.Index, err)
	}
	cfg.BindIndexes(map[string][]Index{r.Table: {{Name: "PRIMARY", Unique: true, Columns: []string{r.IDColumn}}, {Name: "ix_org", Columns: []string{r.TenantColumn, r.IDColumn}}}})
	tests := []struct {
		name string
		req  ListRequest
		want string
	}{
		{"unfiltered", ListRequest{}, "ix_org"},
		{"descending id", ListRequest{Descending: true}, "ix_org"},
		{"blank filter", ListRequest{Filter: "  "}, "ix_org"},
		{"filtered", ListRequest{Filter: `userName eq "a"`}, ""},
		{"sorted by userName", ListRequest{SortBy: "userName"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := r.ListQuery(tt.req, "1")
			if err != nil {
				t.Fatal(err)
			}
			if q.Index != tt.want {
				t.Errorf("Index = %q, want %q", q.Index, tt.want)
			}
		})
	}
}
