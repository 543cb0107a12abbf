package mapping_test

import (
	"fmt"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping"
)

// A DBA's view of the compiler: the SQL a filter becomes. Values are always
// bind arguments; columns come from the mapping.
func ExampleResource_CompileFilter() {
	cfg, err := mapping.Parse("config.yaml", []byte(`
database: { dsn: "app@tcp(db:3306)/app" }
users:
  table: users
  scope: { auth_source: saml }
  active: { column: is_active, true: 1, false: 0 }
  attributes:
    userName: { column: login }
    'emails[type eq "work"].value': { column: email }
    externalId: { column: okta_id }
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	users := cfg.Users
	for _, f := range []string{
		`userName eq "bjensen@example.com"`,
		`emails[type eq "work" and value ew "@example.com"] and active eq true`,
		`userName eq "x' OR '1'='1"`,
	} {
		p, _ := users.CompileFilter(f)
		where := sqlstmt.And(users.ScopePredicate(""), p)
		fmt.Printf("%s\n  WHERE %s\n  args %v\n", f, where.SQL(), where.Args())
	}
	// Output:
	// userName eq "bjensen@example.com"
	//   WHERE `auth_source` = ? AND `login` = ? AND CAST(LOWER(CONVERT(`login` USING utf8mb4)) AS BINARY) = CAST(LOWER(CONVERT(? USING utf8mb4)) AS BINARY)
	//   args [saml bjensen@example.com bjensen@example.com]
	// emails[type eq "work" and value ew "@example.com"] and active eq true
	//   WHERE `auth_source` = ? AND `email` LIKE ? ESCAPE '!' AND `is_active` = ?
	//   args [saml %@example.com 1]
	// userName eq "x' OR '1'='1"
	//   WHERE `auth_source` = ? AND `login` = ? AND CAST(LOWER(CONVERT(`login` USING utf8mb4)) AS BINARY) = CAST(LOWER(CONVERT(? USING utf8mb4)) AS BINARY)
	//   args [saml x' OR '1'='1 x' OR '1'='1]
}
