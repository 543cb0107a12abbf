package mapping

import (
	"errors"
	"testing"
)

func TestProjection(t *testing.T) {
	r := boundUsers(t, nil)
	full := r.Render(sampleRow(r), "https://h/scim/v2")
	tests := []struct {
		attributes, excluded string
		want                 string
	}{
		{"userName", "", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:acme:params:scim:schemas:extension:acme:1.0:User"],"id":"42","userName":"bjensen@example.com"}`},
		{"USERNAME, name.givenName", "", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:acme:params:scim:schemas:extension:acme:1.0:User"],"id":"42","userName":"bjensen@example.com","name":{"givenName":"Barbara"}}`},
		{"emails.value,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:acme:params:scim:schemas:extension:acme:1.0:User"],"id":"42","emails":[{"value":"bjensen@example.com"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Tour Operations"}}`},
		{"urn:acme:params:scim:schemas:extension:acme:1.0:User", "", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:acme:params:scim:schemas:extension:acme:1.0:User"],"id":"42","urn:acme:params:scim:schemas:extension:acme:1.0:User":{"badge":1234,"contractor":false}}`},
		{"urn:ietf:params:scim:schemas:core:2.0:User:userName,meta.version", "", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:acme:params:scim:schemas:extension:acme:1.0:User"],"id":"42","userName":"bjensen@example.com","meta":{"version":"W/\"3f7d791f8548fcc45322\""}}`},
		{"", "emails,name,meta,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,urn:acme:params:scim:schemas:extension:acme:1.0:User:badge,id,schemas", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:acme:params:scim:schemas:extension:acme:1.0:User"],"id":"42","externalId":"00u1a2b3c4D5e6F7g8h9","userName":"bjensen@example.com","displayName":"Babs \"BJ\" Jensen\u2028","active":true,"pantherRole":"ReadOnlyAnalyst","urn:acme:params:scim:schemas:extension:acme:1.0:User":{"contractor":false}}`},
		{"nickName", "", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:acme:params:scim:schemas:extension:acme:1.0:User"],"id":"42"}`},
	}
	for _, tt := range tests {
		p, err := r.Projection(tt.attributes, tt.excluded)
		if err != nil {
			t.Errorf("Projection(%q, %q) error: %v", tt.attributes, tt.excluded, err)
			continue
		}
		got, _ := p.Apply(full).MarshalJSON()
		if string(got) != tt.want {
			t.Errorf("Projection(%q, %q) =\n%s\nwant\n%s", tt.attributes, tt.excluded, got, tt.want)
		}
	}
	for _, bad := range []string{"user name", "emails[type eq \"work\"]", "a.b.c", "1x", "id;drop"} {
		var ve *RequestError
		if _, err := r.Projection(bad, ""); !errors.As(err, &ve) {
			t.Errorf("Projection(%q) error = %v, want *ValueError", bad, err)
		}
	}
	p, _ := r.Projection("", "members")
	if !p.Excludes("Members") || p.Excludes("userName") {
		t.Error("Excludes misreports excludedAttributes=members")
	}
	p, _ = r.Projection("displayName", "")
	if !p.Excludes("members") || p.Excludes("displayName") {
		t.Error("Excludes misreports attributes=displayName")
	}
}
