package mapping

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// giteaYAML maps Gitea's user table, whose times are epoch seconds.
const giteaYAML = `
database: { dsn: x }
users:
  table: user
  scope: { type: 0 }
  create: allow
  meta:
    created: { column: created_unix, epoch: seconds }
    last_modified: { column: updated_unix, epoch: seconds }
  attributes:
    userName: { column: lower_name }
`

// mattermostYAML maps Mattermost's Users table: epoch milliseconds, and
// UpdateAt doubles as the version.
const mattermostYAML = `
database: { dsn: x }
users:
  table: Users
  id: { column: Id, generate: mattermost }
  scope: all
  create: allow
  meta:
    created: { column: CreateAt, epoch: milliseconds }
    version: { column: UpdateAt, epoch: milliseconds }
  attributes:
    userName: { column: Username }
`

func epochColumns() map[string][]Column {
	return map[string][]Column{
		"user": {
			{Name: "id", DataType: "bigint", ColumnType: "bigint(20)", AutoIncrement: true},
			ci("lower_name", 255, false),
			{Name: "type", DataType: "int", ColumnType: "int(11)"},
			{Name: "created_unix", DataType: "bigint", ColumnType: "bigint(20)", Nullable: true},
			{Name: "updated_unix", DataType: "bigint", ColumnType: "bigint(20)", Nullable: true},
			{Name: "last_login", DataType: "datetime", ColumnType: "datetime", Nullable: true},
		},
		"Users": {
			ci("Id", 26, false),
			ci("Username", 64, true),
			{Name: "CreateAt", DataType: "bigint", ColumnType: "bigint(20)", Nullable: true},
			{Name: "UpdateAt", DataType: "bigint", ColumnType: "bigint(20)", Nullable: true},
		},
	}
}

func epochResource(t *testing.T, src string) *Resource {
	t.Helper()
	cfg, err := Parse("epoch.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Bind(epochColumns()); err != nil {
		t.Fatal(err)
	}
	return cfg.Users
}

func rowOf(r *Resource, vals map[string]any) Row {
	row := make(Row, len(r.SelectExprs()))
	for i, e := range r.SelectExprs() {
		row[i] = vals[e]
	}
	return row
}

func TestEpochMetaRender(t *testing.T) {
	gitea := epochResource(t, giteaYAML)
	mm := epochResource(t, mattermostYAML)
	tests := []struct {
		name                  string
		r                     *Resource
		row                   map[string]any
		created, lastModified string // "" for absent
		version               string
	}{
		{"gitea seconds", gitea, map[string]any{"`id`": int64(3), "`lower_name`": []byte("bob"), "`created_unix`": int64(1767323045), "`updated_unix`": []byte("1767409445")},
			"2026-01-02T03:04:05Z", "2026-01-03T03:04:05Z", ""},
		{"gitea never modified (0)", gitea, map[string]any{"`id`": int64(3), "`lower_name`": []byte("bob"), "`created_unix`": int64(1767323045), "`updated_unix`": int64(0)},
			"2026-01-02T03:04:05Z", "", ""},
		{"mattermost milliseconds, version from UpdateAt", mm, map[string]any{"`Id`": []byte("u1"), "`Username`": []byte("bob"), "`CreateAt`": int64(1767323045123), "`UpdateAt`": int64(1767409445999)},
			"2026-01-02T03:04:05Z", "2026-01-03T03:04:05Z", `W/"1767409445999"`},
	}
	for _, tt := range tests {
		meta, _ := tt.r.Render(rowOf(tt.r, tt.row), "https://h").Get("meta")
		m, _ := meta.(Object)
		got := func(k string) string {
			v, _ := m.Get(k)
			s, _ := v.(string)
			return s
		}
		if got("created") != tt.created || got("lastModified") != tt.lastModified {
			t.Errorf("%s: meta created %q lastModified %q, want %q %q", tt.name, got("created"), got("lastModified"), tt.created, tt.lastModified)
		}
		if tt.version != "" && got("version") != tt.version {
			t.Errorf("%s: meta.version %q, want %q", tt.name, got("version"), tt.version)
		}
	}
	// Seconds are too coarse for a version: the ETag is the row's digest.
	sec := epochResource(t, strings.Replace(giteaYAML, "last_modified:", "version:", 1))
	row := rowOf(sec, map[string]any{"`id`": int64(3), "`updated_unix`": int64(1767409445)})
	if v := sec.Version(row); v == `W/"1767409445"` || !strings.HasPrefix(v, `W/"`) {
		t.Errorf("Version with an epoch-seconds column = %s, want a digest", v)
	}
}

func TestEpochFilters(t *testing.T) {
	gitea := epochResource(t, giteaYAML)
	mm := epochResource(t, mattermostYAML)
	tests := []struct {
		r        *Resource
		filter   string
		wantSQL  string
		wantArgs []any
	}{
		{gitea, `meta.lastModified gt "2026-01-02T03:04:05Z"`, "`updated_unix` > ?", []any{int64(1767323045)}},
		{gitea, `meta.lastModified ge "2026-01-02T03:04:05Z"`, "`updated_unix` >= ?", []any{int64(1767323045)}},
		{gitea, `meta.lastModified gt "2026-01-02T03:04:05.5Z"`, "`updated_unix` > ?", []any{int64(1767323045)}},
		{gitea, `meta.lastModified ge "2026-01-02T03:04:05.5Z"`, "`updated_unix` >= ?", []any{int64(1767323046)}},
		{gitea, `meta.lastModified lt "2026-01-02T03:04:05.5Z"`, "`updated_unix` > 0 AND `updated_unix` < ?", []any{int64(1767323046)}},
		{gitea, `meta.lastModified le "2026-01-02T03:04:05.5Z"`, "`updated_unix` > 0 AND `updated_unix` <= ?", []any{int64(1767323045)}},
		{gitea, `meta.lastModified pr`, "`updated_unix` > 0", nil},
		{gitea, `meta.lastModified eq null`, "(`updated_unix` > 0) IS NOT TRUE", nil},
		{gitea, `meta.lastModified gt "1960-01-01T00:00:00Z"`, "`updated_unix` > 0", nil},
		{gitea, `meta.lastModified le "1970-01-01T00:00:00Z"`, "FALSE", nil},
		{gitea, `meta.created eq "2026-01-02T05:04:05+02:00"`, "`created_unix` = ?", []any{int64(1767323045)}},
		{gitea, `meta.created eq "2026-01-02T03:04:05.5Z"`, "FALSE", nil},
		{gitea, `meta.created ne "2026-01-02T03:04:05Z"`, "(`created_unix` = ?) IS NOT TRUE", []any{int64(1767323045)}},
		{gitea, `meta.created lt "1970-01-01T00:00:01Z"`, "FALSE", nil},
		{gitea, `meta.created lt "1970-01-01T00:00:01.5Z"`, "`created_unix` > 0 AND `created_unix` < ?", []any{int64(2)}},
		{mm, `meta.lastModified gt "2026-01-02T03:04:05.123Z"`, "`UpdateAt` > ?", []any{int64(1767323045123)}},
		{mm, `meta.lastModified ge "2026-01-02T03:04:05.1234Z"`, "`UpdateAt` >= ?", []any{int64(1767323045124)}},
		{mm, `meta.created le "2026-01-02"`, "`CreateAt` > 0 AND `CreateAt` <= ?", []any{int64(1767312000000)}},
	}
	for _, tt := range tests {
		p, err := tt.r.CompileFilter(tt.filter)
		if err != nil {
			t.Errorf("CompileFilter(%q): %v", tt.filter, err)
			continue
		}
		if p.SQL() != tt.wantSQL || !cmp.Equal(p.Args(), tt.wantArgs) {
			t.Errorf("CompileFilter(%q) = %s %v, want %s %v", tt.filter, p.SQL(), p.Args(), tt.wantSQL, tt.wantArgs)
		}
	}
}

func TestEpochStamps(t *testing.T) {
	tests := []struct {
		name       string
		r          *Resource
		id         string
		wantUpdate string
		wantInsert string
	}{
		{"gitea seconds", epochResource(t, giteaYAML), "3",
			"UPDATE `user` SET `lower_name` = ?, `updated_unix` = UNIX_TIMESTAMP() WHERE `type` = ? AND `id` = ?",
			"INSERT INTO `user` (`lower_name`, `type`, `created_unix`, `updated_unix`) VALUES (?, ?, UNIX_TIMESTAMP(), UNIX_TIMESTAMP())"},
		{"mattermost milliseconds version", epochResource(t, mattermostYAML), "u1",
			"UPDATE `Users` SET `Username` = ?, `UpdateAt` = ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) WHERE `Id` = ? AND CAST(CONVERT(`Id` USING utf8mb4) AS BINARY) = CAST(CONVERT(? USING utf8mb4) AS BINARY)",
			"INSERT INTO `Users` (`Username`, `Id`, `CreateAt`, `UpdateAt`) VALUES (?, ?, ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000), ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000))"},
	}
	for _, tt := range tests {
		ch := &Change{Set: []Assignment{{Column: tt.r.Attributes[0].Column, Value: "carol", Attr: tt.r.Attributes[0]}}}
		target, ok := tt.r.Target(tt.id, "")
		if !ok {
			t.Fatalf("%s: Target(%q) refused", tt.name, tt.id)
		}
		if sql, _ := target.Writes(ch, nil)[0].SQL(); sql != tt.wantUpdate {
			t.Errorf("%s: Update = %s\nwant %s", tt.name, sql, tt.wantUpdate)
		}
		in, _ := tt.r.InsertStmt(ch, "")
		if sql, _ := in.SQL(); sql != tt.wantInsert {
			t.Errorf("%s: Insert = %s\nwant %s", tt.name, sql, tt.wantInsert)
		}
	}
}

func TestEpochConfigErrors(t *testing.T) {
	tests := []struct {
		meta string
		want string
	}{
		{"{ last_modified: updated_unix }", `users.meta.last_modified: updated_unix is bigint(20): if it counts time since 1970, say in which unit, as last_modified: { column: updated_unix, epoch: seconds } (or milliseconds)`},
		{"{ created: created_unix }", "users.meta.created: created_unix is bigint(20)"},
		{"{ last_modified: { column: updated_unix } }", "users.meta.last_modified.epoch: missing: give epoch: seconds or epoch: milliseconds"},
		{"{ last_modified: { column: updated_unix, epoch: minutes } }", `users.meta.last_modified.epoch: "minutes" is not an epoch unit`},
		{"{ last_modified: { column: updated_unix, epoch: seconds, format: x } }", "format"},
		{"{ last_modified: { column: last_login, epoch: seconds } }", "last_login is datetime: epoch: seconds needs an integer column"},
		{"{ last_modified: { epoch: seconds } }", "users.meta.last_modified.column: missing"},
		{"{ last_modified: { column: \"x;y\", epoch: seconds } }", "not a valid column name"},
	}
	for _, tt := range tests {
		src := strings.Replace(giteaYAML, "  meta:\n    created: { column: created_unix, epoch: seconds }\n    last_modified: { column: updated_unix, epoch: seconds }\n", "  meta: "+tt.meta+"\n", 1)
		cfg, err := Parse("e.yaml", []byte(src))
		if err == nil {
			err = cfg.Bind(epochColumns())
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("meta: %s: error = %v\nwant it to contain %q", tt.meta, err, tt.want)
		}
	}
}
