package examples_test

import (
	"encoding/json"
	"strings"
)

// What Okta sends: the bodies of its requests.

// patch wraps PATCH operations in a PatchOp message.
func patch(ops ...string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// Okta's PATCH operations.
var (
	oktaDeactivate = patch(`{"op":"replace","value":{"active":false}}`)
	oktaReactivate = patch(`{"op":"replace","value":{"active":true}}`)
)

// oktaUser is the body of Okta's POST /Users and PUT /Users/{id}: the
// profile under the app's attribute mappings, plus what Okta always sends
// (locale, externalId, an empty groups list, a random password, active).
func oktaUser(id, userName, given, family, email string, extra map[string]any) string {
	u := map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": userName,
		"name":     map[string]any{"givenName": given, "familyName": family},
		"emails":   []any{map[string]any{"primary": true, "value": email, "type": "work"}},
		"locale":   "en-US",
		"externalId": "00u" + strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return r
			}
			return -1
		}, strings.ToLower(userName)),
		"groups":   []any{},
		"password": "pw-Okta-1a2b3c",
		"active":   true,
	}
	if id != "" {
		u["id"] = id
	}
	for k, v := range extra {
		if v == nil {
			delete(u, k)
		} else {
			u[k] = v
		}
	}
	b, _ := json.Marshal(u)
	return string(b)
}

// members builds the members array Okta sends: value and display.
func members(ids ...string) string {
	var parts []string
	for _, id := range ids {
		parts = append(parts, `{"value":"`+id+`","display":"user `+id+`"}`)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
