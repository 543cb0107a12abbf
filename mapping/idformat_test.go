package mapping

import (
	"regexp"
	"strings"
	"testing"
)

func TestIDFormatNew(t *testing.T) {
	tests := []struct {
		f    IDFormat
		want string // the whole id
	}{
		{IDUUID, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{IDUUIDHex, `^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$`},
		{IDMattermost, `^[ybndrfg8ejkmcpqxot1uwisza345h769]{26}$`},
	}
	for _, tt := range tests {
		seen := map[string]bool{}
		for range 50 {
			id := tt.f.New()
			if !regexp.MustCompile(tt.want).MatchString(id) || len(id) != tt.f.Len() {
				t.Fatalf("%s: %q does not match %s (length %d)", tt.f, id, tt.want, tt.f.Len())
			}
			seen[id] = true
		}
		if len(seen) != 50 {
			t.Errorf("%s: %d distinct ids of 50", tt.f, len(seen))
		}
	}
	// A Mattermost id is the UUID's 16 bytes in Mattermost's base32: it
	// decodes back to a version 4 UUID.
	b, err := mattermostEncoding.DecodeString(IDMattermost.New())
	if err != nil || len(b) != 16 || b[6]>>4 != 4 || b[8]>>6 != 2 {
		t.Errorf("mattermost id decodes to %x, %v; want a version 4 UUID", b, err)
	}
}

// idYAML is a groups section over Mattermost's Teams with an id entry
// put in by each case.
const idYAML = `
database: { dsn: x }
users:
  table: Users
  id: Id
  scope: all
  attributes:
    userName: { column: Username }
groups:
  table: Teams
  id: ID
  scope: { DeleteAt: 0 }
  create: allow
  meta:
    created: { column: CreateAt, epoch: milliseconds }
  defaults: { Type: I }
  attributes:
    displayName: { column: DisplayName }
  members:
    join: { table: TeamMembers, user: UserId, group: TeamId }
`

func idColumns() map[string][]Column {
	return map[string][]Column{
		"Users":       {ci("Id", 26, false), ci("Username", 64, true)},
		"Teams":       append([]Column{ci("Id", 26, false)}, teamColumns()...),
		"Uuids":       append([]Column{ci("Id", 36, false)}, teamColumns()...),
		"Enums":       append([]Column{{Name: "Id", DataType: "enum", ColumnType: "enum('a','b')", MaxChars: 1, Charset: "utf8mb4"}}, teamColumns()...),
		"Serial":      append([]Column{{Name: "Id", DataType: "bigint", ColumnType: "bigint(20)", AutoIncrement: true}}, teamColumns()...),
		"TeamMembers": {ci("TeamId", 26, false), ci("UserId", 26, false)},
	}
}

// teamColumns are the Teams columns besides Id.
func teamColumns() []Column {
	return []Column{
		ci("Name", 64, true), ci("DisplayName", 64, true), ci("Type", 255, true), ci("Short", 8, true),
		{Name: "CreateAt", DataType: "bigint", ColumnType: "bigint(20)", Nullable: true},
		{Name: "DeleteAt", DataType: "bigint", ColumnType: "bigint(20)", Nullable: true},
		{Name: "Seq", DataType: "int", ColumnType: "int(11)", Nullable: true},
	}
}

func bindID(t *testing.T, id, table string) (*Config, error) {
	t.Helper()
	src := strings.Replace(idYAML, "  id: ID\n", "  id: "+id+"\n", 1)
	if table != "" {
		src = strings.Replace(src, "table: Teams", "table: "+table, 1)
	}
	cfg, err := Parse("id.yaml", []byte(src))
	if err != nil {
		return nil, err
	}
	return cfg, cfg.Bind(idColumns())
}

func TestIDFormatCheck(t *testing.T) {
	tests := []struct {
		name, id, table string
		want            string // "" when the mapping binds
	}{
		{"uuid in varchar(26) is refused with the formats that fit", "Id", "",
			"groups.id.generate: Id is varchar(26), but the uuid ids POST generates are 36 characters; write id: { column: Id, generate: mattermost } (26 characters), or widen the column"},
		{"explicit uuid in varchar(26)", "{ column: Id, generate: uuid }", "", "the uuid ids POST generates are 36 characters"},
		{"uuid_hex in varchar(26)", "{ column: Id, generate: uuid_hex }", "", "the uuid_hex ids POST generates are 32 characters"},
		{"mattermost in varchar(26)", "{ column: Id, generate: mattermost }", "", ""},
		{"mattermost copied to Name", "{ column: Id, generate: mattermost, copy_to: [Name] }", "", ""},
		{"uuid in varchar(36)", "Id", "Uuids", ""},
		{"every format in varchar(36)", "{ column: Id, generate: uuid_hex }", "Uuids", ""},
		{"copy_to a column too short", "{ column: Id, generate: mattermost, copy_to: [Short] }", "",
			"groups.id.generate: Short is varchar(8), but the mattermost ids POST generates are 26 characters; no id format fits 8 characters"},
		{"copy_to a non-text column", "{ column: Id, generate: mattermost, copy_to: [Seq] }", "", "Seq is int(11): copy_to writes the generated id, which needs a text column"},
		{"copy_to a column a default writes", "{ column: Id, generate: mattermost, copy_to: [Type] }", "", "Type is also written by the mapping"},
		{"copy_to the id itself", "{ column: Id, generate: mattermost, copy_to: [Id] }", "", "Id is the id column itself"},
		{"copy_to a missing column", "{ column: Id, generate: mattermost, copy_to: [Slug] }", "", `column "Slug" does not exist in table "Teams"`},
		{"generate on AUTO_INCREMENT", "{ column: Id, generate: mattermost }", "Serial", "Id is AUTO_INCREMENT: the database allocates its ids"},
		{"AUTO_INCREMENT alone", "Id", "Serial", ""},
		{"an enum id column", "{ column: Id, generate: mattermost }", "Enums", "Id is enum('a','b'), which cannot hold a generated mattermost id"},
		{"unknown format", "{ column: Id, generate: ulid }", "", `groups.id.generate: "ulid" is not an id format: use uuid (36 characters), uuid_hex (32) or mattermost (26`},
		{"unknown key", "{ column: Id, format: mattermost }", "", "format"},
		{"bad column name", "{ column: 'Id; DROP', generate: mattermost }", "", "is not a valid column name"},
	}
	for _, tt := range tests {
		_, err := bindID(t, tt.id, tt.table)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

func TestIDFormatInsert(t *testing.T) {
	cfg, err := bindID(t, "{ column: Id, generate: mattermost, copy_to: [Name] }", "")
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Groups
	ch := &Change{Set: []Assignment{{Column: "DisplayName", Value: "Sales", Attr: g.Attributes[0]}}}
	set, id := g.InsertSet(ch, "")
	if len(id) != 26 {
		t.Fatalf("generated id %q, want 26 characters", id)
	}
	got := map[string]any{}
	for _, a := range set {
		got[a.Column] = a.Value
	}
	if got["Id"] != id || got["Name"] != id || got["DisplayName"] != "Sales" || got["Type"] != "I" {
		t.Errorf("InsertSet = %v, want Id and Name %s", set, id)
	}
}
