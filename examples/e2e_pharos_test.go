package examples_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/retroscim/retroscim/legacy"
)

// TestPharosCloudOkta replays Pharos Cloud's guide with Okta's "SCIM 2.0
// Test App (OAuth Bearer Token)": a tenant URL and its token (which
// expires and is regenerated), Create Users with the default attribute
// mappings, Update User Attributes, Deactivate Users, Push Groups with
// their memberships.
func TestPharosCloudOkta(t *testing.T) {
	a := serve(t, "pharos-cloud")
	ctx := context.Background()
	tables := []string{"print_users", "user_groups", "user_group_members"}
	const nw = "/t/northwind" // the tenant URL the console hands out

	// The configuration's token acts for northwind, at its tenant URL
	// (and at the plain base URL); another tenant's URL is refused.
	n, res := a.get(nw + "/Users?startIndex=1&count=100").list(t)
	var logins []string
	for _, u := range res {
		logins = append(logins, str(u, "userName"))
	}
	if n != 3 || strings.Join(logins, ",") != "nancy@northwind.test,andrew@northwind.test,janet@northwind.test" {
		t.Errorf("northwind's users = %v (the print admin, the CSV kiosk and contoso's users are not SCIM's)", logins)
	}
	if n, _ := a.get("/Users?count=0").list(t); n != 3 {
		t.Errorf("base URL: %d users", n)
	}
	a.get("/t/contoso/Users").refused(t, http.StatusForbidden, "", "not valid for the tenant in the URL")

	// Each tenant generates its own token (retroscim token create
	// --tenant contoso): it sees contoso only, at contoso's URL only.
	contoso, _, err := a.store.CreateToken(ctx, a.own, legacy.Actor{Prefix: "test", Name: "e2e"}, "okta-contoso", "contoso", 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	asContoso := []string{"Authorization", "Bearer " + contoso}
	if n, res := a.get("/t/contoso/Users", asContoso...).list(t); n != 1 || str(res[0], "userName") != "ken@contoso.test" {
		t.Errorf("contoso's users: %d", n)
	}
	a.get(nw+"/Users", asContoso...).refused(t, http.StatusForbidden, "", "not valid for the tenant in the URL")
	a.get("/t/contoso/Users/2", asContoso...).refused(t, http.StatusNotFound, "", `User "2" not found`)
	if n, _ := a.get("/t/contoso/Groups"+filter(`displayName eq "Finance"`), asContoso...).list(t); n != 1 {
		t.Errorf("contoso's Finance: %d groups", n)
	}

	// Create Users: Okta's lookup, then its POST with the default mappings
	// of the SCIM 2.0 Test App. What the app does not keep (addresses,
	// other phone numbers, nickName, locale, password...) is ignored.
	if id := a.lookupUser(nw, "laura@northwind.test"); id != "" {
		t.Fatalf("laura exists before the push: %s", id)
	}
	create := oktaUser("", "laura@northwind.test", "Laura", "Callahan", "laura@northwind.test", map[string]any{
		"displayName":  "Laura Callahan",
		"nickName":     "Laurie",
		"title":        "Inside Sales Coordinator",
		"userType":     "Employee",
		"phoneNumbers": []any{map[string]any{"primary": true, "value": "+1 206 555 0101", "type": "work"}, map[string]any{"value": "+1 206 555 0199", "type": "mobile"}},
		"addresses":    []any{map[string]any{"type": "work", "streetAddress": "4726 11th Ave NE", "locality": "Seattle", "region": "WA", "postalCode": "98105", "country": "US", "primary": true}},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"costCenter": "CC-410", "department": "Sales", "organization": "Northwind"},
	})
	r := a.do(http.MethodPost, nw+"/Users", create).must(t, http.StatusCreated)
	laura := str(r.obj(t), "id")
	if loc := r.Header.Get("Location"); loc != a.base+nw+"/Users/"+laura {
		t.Errorf("Location = %q, want the tenant URL", loc)
	}
	a.wantRow("northwind|laura@northwind.test|Laura|Callahan|Laura Callahan|laura@northwind.test|Inside Sales Coordinator|+1 206 555 0101|CC-410|00ulauranorthwindtest|scim|Y|NULL|NULL",
		"SELECT tenant_code, login_name, given_name, surname, full_name, email_address, job_title, office_phone, cost_center, idp_object_id, source, is_enabled, card_number, pin_hash FROM print_users WHERE user_id = ?", laura)
	u := a.get(nw+"/Users/"+laura).must(t, http.StatusOK).obj(t)
	emails, _ := u["emails"].([]any)
	if len(emails) != 1 || fmt.Sprint(emails[0]) != "map[primary:true type:work value:laura@northwind.test]" {
		t.Errorf("emails = %v, want one primary work address", u["emails"])
	}
	for _, f := range []string{`emails[type eq "work"].value eq "laura@northwind.test"`, `emails[type eq "work" and value eq "LAURA@northwind.test"]`, `externalId eq "00ulauranorthwindtest"`} {
		if n, _ := a.get(nw + "/Users" + filter(f)).list(t); n != 1 {
			t.Errorf("%s: %d users", f, n)
		}
	}
	// The same login again in the same tenant is a conflict, nothing is
	// written; contoso's token cannot see northwind's Laura either.
	before := a.sum(tables...)
	a.do(http.MethodPost, nw+"/Users", create).refused(t, http.StatusConflict, "uniqueness", `userName "laura@northwind.test" is already taken`)
	a.do(http.MethodPatch, "/t/contoso/Users/"+laura, oktaDeactivate, asContoso...).refused(t, http.StatusNotFound, "", "not found")
	a.unchanged("a duplicate create and another tenant's PATCH", before, tables...)

	// Update User Attributes: Okta sends the whole profile (PUT), and
	// PATCH for single changes.
	a.do(http.MethodPut, nw+"/Users/"+laura, oktaUser(laura, "laura@northwind.test", "Laura", "Callahan-Ray", "laura.ray@northwind.test", map[string]any{
		"displayName":  "Laura Callahan-Ray",
		"title":        "Sales Manager",
		"phoneNumbers": []any{map[string]any{"primary": true, "value": "+1 206 555 0102", "type": "work"}},
	})).must(t, http.StatusOK)
	a.wantRow("Callahan-Ray|Laura Callahan-Ray|laura.ray@northwind.test|Sales Manager|+1 206 555 0102|NULL|Y",
		"SELECT surname, full_name, email_address, job_title, office_phone, cost_center, is_enabled FROM print_users WHERE user_id = ?", laura)
	a.do(http.MethodPatch, nw+"/Users/"+laura, patch(`{"op":"replace","path":"title","value":"Regional Sales Manager"}`, `{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter","value":"CC-420"}`)).must(t, http.StatusOK)
	a.wantRow("Regional Sales Manager|CC-420", "SELECT job_title, cost_center FROM print_users WHERE user_id = ?", laura)
	// Entra ID's shapes work too: capitalised ops, dotted names without a path.
	a.do(http.MethodPatch, nw+"/Users/"+laura, patch(`{"op":"Replace","path":"name.givenName","value":"Laurie"}`, `{"op":"Add","value":{"displayName":"Laurie Callahan-Ray"}}`)).must(t, http.StatusOK)
	a.wantRow("Laurie|Laurie Callahan-Ray", "SELECT given_name, full_name FROM print_users WHERE user_id = ?", laura)

	// Push Groups > Find groups by name: a new group is created with its
	// members; an existing one is found by name, in the token's tenant.
	if id := a.lookupGroup(nw, "Print Operators"); id != "" {
		t.Fatalf("Print Operators exists before the push: %s", id)
	}
	r = a.do(http.MethodPost, nw+"/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Print Operators","members":`+members(laura, "2")+`}`).must(t, http.StatusCreated)
	ops := str(r.obj(t), "id")
	a.wantRow("northwind|Print Operators|NULL", "SELECT tenant_code, group_name, quota_pages FROM user_groups WHERE group_id = ?", ops)
	a.wantRow("2,"+laura, "SELECT GROUP_CONCAT(user_id ORDER BY user_id) FROM user_group_members WHERE group_id = ?", ops)
	a.do(http.MethodPatch, nw+"/Groups/"+ops, patch(`{"op":"add","path":"members","value":`+members("3")+`}`)).must(t, http.StatusNoContent)
	a.do(http.MethodPatch, nw+"/Groups/"+ops, patch(`{"op":"remove","path":"members[value eq \"2\"]"}`)).must(t, http.StatusNoContent)
	if got := a.groupMembers(nw, ops); got != "3,"+laura {
		t.Errorf("Print Operators' members = %q", got)
	}
	finance := a.lookupGroup(nw, "Finance")
	if finance != "1" {
		t.Errorf("northwind's Finance = %q, want 1 (contoso's is 3)", finance)
	}
	a.do(http.MethodPatch, nw+"/Groups/"+finance, patch(`{"op":"add","path":"members","value":`+members(laura)+`}`)).must(t, http.StatusNoContent)
	// The print admin keeps Finance, invisible to SCIM.
	a.wantRow("1,3,"+laura, "SELECT GROUP_CONCAT(user_id ORDER BY user_id) FROM user_group_members WHERE group_id = 1")
	// Another tenant's user or group is out of reach.
	before = a.sum(tables...)
	a.do(http.MethodPatch, nw+"/Groups/"+ops, patch(`{"op":"add","path":"members","value":`+members("7")+`}`)).
		refused(t, http.StatusBadRequest, "invalidValue", `members not found: "7"`)
	a.do(http.MethodPatch, nw+"/Groups/3", patch(`{"op":"add","path":"members","value":`+members(laura)+`}`)).refused(t, http.StatusNotFound, "", `Group "3" not found`)
	a.do(http.MethodPost, "/t/contoso/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Finance"}`, asContoso...).refused(t, http.StatusConflict, "uniqueness", "already taken")
	a.unchanged("cross-tenant group pushes", before, tables...)

	// Deactivate Users (Okta), and the same from Entra ID; Janet, disabled
	// in Pharos, is reactivated.
	a.do(http.MethodPatch, nw+"/Users/"+laura, oktaDeactivate).must(t, http.StatusOK)
	a.do(http.MethodPatch, nw+"/Users/3", patch(`{"op":"Replace","path":"active","value":"False"}`)).must(t, http.StatusOK)
	a.do(http.MethodPatch, nw+"/Users/4", oktaReactivate).must(t, http.StatusOK)
	a.wantRow("3:N,4:Y,"+laura+":N", "SELECT GROUP_CONCAT(CONCAT(user_id, ':', is_enabled) ORDER BY user_id) FROM print_users WHERE user_id IN (3, 4, ?)", laura)
	if got := a.get(nw+"/Users/"+laura).must(t, http.StatusOK).obj(t); got["active"] != false {
		t.Errorf("deactivated Laura: active=%v", got["active"])
	}

	// The token Pharos generated expires (after a year; here, after
	// 700ms): then every request is 401 saying so, and a regenerated
	// token works.
	short, _, err := a.store.CreateToken(ctx, a.own, legacy.Actor{Prefix: "test", Name: "e2e"}, "okta-northwind", "northwind", 700*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	a.get(nw+"/Users?startIndex=1&count=1", "Authorization", "Bearer "+short).must(t, http.StatusOK)
	time.Sleep(900 * time.Millisecond)
	before = a.sum(tables...)
	a.get(nw+"/Users?startIndex=1&count=1", "Authorization", "Bearer "+short).refused(t, http.StatusUnauthorized, "", "has expired")
	a.do(http.MethodPatch, nw+"/Users/4", oktaDeactivate, "Authorization", "Bearer "+short).refused(t, http.StatusUnauthorized, "", "has expired")
	a.unchanged("requests with an expired token", before, tables...)
	regenerated, _, err := a.store.CreateToken(ctx, a.own, legacy.Actor{Prefix: "test", Name: "e2e"}, "okta-northwind", "northwind", 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a.get(nw+"/Users?startIndex=1&count=1", "Authorization", "Bearer "+regenerated).must(t, http.StatusOK)
}
