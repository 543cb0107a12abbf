package mapping

import (
	"time"

	"gopkg.in/yaml.v3"
)

// The types in this file are the YAML shape of config.yaml, key for key.
// Their doc comments are the descriptions in config.schema.json at the
// repository root (go test ./mapping -run Schema -update regenerates it),
// so an editor's hover text and the loader cannot drift apart.

// FileSpec is the YAML shape of a configuration file. users and groups are
// kept as YAML nodes, decoded as ResourceSpec, so that messages carry lines.
type FileSpec struct {
	// Server holds the HTTP settings: listen address, base path, limits.
	Server Server `yaml:"server"`
	// Database is the connection to the app's MySQL or MariaDB database.
	Database Database `yaml:"database"`
	// Store names where retroscim keeps its own tables (tokens, audit).
	Store OwnTables `yaml:"store"`
	// Auth lists the bearer tokens that may call the SCIM API.
	Auth AuthSpec `yaml:"auth"`
	// Pagination holds the list settings: page sizes and what is remembered.
	Pagination Pagination `yaml:"pagination"`
	// Users maps SCIM Users onto the app's user table.
	Users yaml.Node `yaml:"users"`
	// Groups maps SCIM Groups onto the app's roles, with members; leave it
	// out when the app serves no /Groups.
	Groups yaml.Node `yaml:"groups"`
}

// AuthSpec is the YAML shape of the auth section.
type AuthSpec struct {
	// BearerTokens are the tokens accepted from the configuration, besides
	// those in retroscim's own table (retroscim token create).
	BearerTokens []TokenSpec `yaml:"bearer_tokens"`
	// TokenCacheTTL is how long a stored token's check is reused, such as
	// "5s"; it bounds how late a revocation or expiry takes effect.
	TokenCacheTTL time.Duration `yaml:"token_cache_ttl"`
	// FailureLimit bounds failed authentications per client address; beyond
	// it, 429 without the database being asked. Default 0.5 a second, 10 at once.
	FailureLimit *RateLimit `yaml:"failure_limit"`
}

// TokenSpec is one entry of auth.bearer_tokens: sha256 or token, not both.
// An entry whose ${VAR:-} expanded to nothing is switched off.
type TokenSpec struct {
	// Name shows in logs and the audit trail (never the token).
	Name string `yaml:"name"`
	// SHA256 is the digest of the token, 64 hexadecimal characters (the
	// output of `retroscim token hash`).
	SHA256 string `yaml:"sha256"`
	// Token is the token itself, usually "${RETROSCIM_TOKEN}", at least 16
	// characters; it is hashed at load and never kept.
	Token string `yaml:"token"`
	// Tenant is the tenant the token acts for; required when users.tenant is set.
	Tenant string `yaml:"tenant"`
}

// ResourceSpec is the YAML shape of the users and groups sections.
type ResourceSpec struct {
	// Table is the app's table, or database.table.
	Table string `yaml:"table" jsonschema:"required"`
	// ID is the primary key column, served as the SCIM id. Default "id".
	ID string `yaml:"id"`
	// Scope says which rows SCIM may see and change: `all`, or column:
	// value | [values] | null | { not: value(s) }, all of which must hold.
	Scope yaml.Node `yaml:"scope" jsonschema:"required"`
	// Tenant is the column that scopes every statement to the token's tenant.
	Tenant string `yaml:"tenant"`
	// Create says whether POST may insert rows: deny (rows come from SSO
	// login; the default) or allow.
	Create string `yaml:"create"`
	// Delete says what DELETE does: deactivate (users only), delete the
	// row, or deny.
	Delete string `yaml:"delete"`
	// Active maps the SCIM active flag (users only).
	Active *ActiveSpec `yaml:"active"`
	// Meta names the columns behind meta.created, meta.lastModified and
	// meta.version.
	Meta MetaSpec `yaml:"meta"`
	// Defaults are column: value pairs written by POST for columns no
	// attribute maps.
	Defaults yaml.Node `yaml:"defaults"`
	// Attributes maps SCIM attribute paths (userName, name.givenName,
	// emails[type eq "work"].value, schema-qualified extension attributes)
	// to columns.
	Attributes yaml.Node `yaml:"attributes" jsonschema:"required"`
	// Members says how memberships are recorded (groups only): a join
	// table or a group column on the users table.
	Members yaml.Node `yaml:"members"`
}

// ActiveSpec is the YAML shape of users.active.
type ActiveSpec struct {
	// Column holds the active flag; needed unless deactivate is delete.
	Column string `yaml:"column"`
	// True is the stored value, or list of values, that means active. Default 1.
	True yaml.Node `yaml:"true"`
	// False is the value written to deactivate a user. Default 0.
	False yaml.Node `yaml:"false"`
	// Deactivate is what active=false does: update (write the false value;
	// the default) or delete (remove the row).
	Deactivate string `yaml:"deactivate"`
}

// MetaSpec is the YAML shape of the meta block. Each entry is a column
// name, or { column, epoch } for an integer column counting seconds or
// milliseconds since 1970 (Gitea created_unix, Mattermost UpdateAt).
type MetaSpec struct {
	// Created is the column behind meta.created.
	Created yaml.Node `yaml:"created"`
	// LastModified is the column behind meta.lastModified; SCIM writes
	// stamp it.
	LastModified yaml.Node `yaml:"last_modified"`
	// Version is the column behind meta.version and the ETag; when absent,
	// a digest of the row.
	Version yaml.Node `yaml:"version"`
}

// AttributeSpec is the YAML shape of one entry of attributes: where the
// value is stored (column or lookup) and the rules for writing it.
type AttributeSpec struct {
	// Column is the column that stores the value (this or lookup).
	Column string `yaml:"column"`
	// Compose writes several sub-attributes into the one column with a
	// template such as "{givenName} {familyName}", and splits the column
	// back when reading (name only).
	Compose string `yaml:"compose"`
	// Lookup stores the value as the key of a row of another table.
	Lookup *LookupSpec `yaml:"lookup"`
	// Related stores the value in a row of another table that belongs to
	// the user; column is then that table's column.
	Related *RelatedSpec `yaml:"related"`
	// Type is the type of a custom attribute. Default string.
	Type string `yaml:"type"`
	// Mutability is published in /Schemas and enforced: readWrite,
	// immutable (set once), readOnly or writeOnly.
	Mutability string `yaml:"mutability"`
	// Required overrides the RFC 7643 characteristic.
	Required *bool `yaml:"required"`
	// Unique overrides the RFC 7643 characteristic; checked on write.
	Unique *bool `yaml:"unique"`
	// CaseExact overrides the RFC 7643 characteristic.
	CaseExact *bool `yaml:"case_exact"`
	// MaxLength bounds the length of a string written (at least 1).
	MaxLength *int `yaml:"max_length"`
	// Pattern is an RE2 regular expression a written string must match whole.
	Pattern string `yaml:"pattern"`
	// ForbiddenChars are characters a written string must not contain.
	ForbiddenChars string `yaml:"forbidden_chars"`
	// Values, when given, are the only values that may be written.
	Values []string `yaml:"values"`
	// Default is written when the attribute is removed or left out of a
	// PUT or POST.
	Default yaml.Node `yaml:"default"`
	// Hash says how password is stored: bcrypt, or none when the column
	// really holds cleartext (password only).
	Hash string `yaml:"hash"`
	// Description is published in /Schemas (custom attributes only).
	Description string `yaml:"description"`
}

// LookupSpec is the YAML shape of attributes.*.lookup: the attribute's value
// is table.match, stored as table.key in column.
type LookupSpec struct {
	// Table is the lookup table, or database.table.
	Table string `yaml:"table" jsonschema:"required"`
	// Key is the lookup table's column stored in column. Default "id".
	Key string `yaml:"key"`
	// Match is the lookup table's column that holds the SCIM value.
	Match string `yaml:"match" jsonschema:"required"`
	// Column is the column of the resource's table that stores the key.
	Column string `yaml:"column" jsonschema:"required"`
	// Tenant is the lookup table's tenant column; with users.tenant, this
	// or shared is required.
	Tenant string `yaml:"tenant"`
	// Shared says every tenant uses the same rows of the lookup table.
	Shared bool `yaml:"shared"`
}

// RelatedSpec is the YAML shape of attributes.*.related: the value is the
// attribute's column of the row of table whose key is the user's id and
// whose where columns hold their values (email_addresses with is_default =
// 1).
type RelatedSpec struct {
	// Table is the related table, or database.table.
	Table string `yaml:"table" jsonschema:"required"`
	// Key is the related table's column that holds the user's id.
	Key string `yaml:"key" jsonschema:"required"`
	// Where are column: value pairs that pick the row among the user's
	// (integers or plain words); a row SCIM inserts gets them.
	Where yaml.Node `yaml:"where"`
	// FirstBy orders the rows when several match: reads show the first,
	// writes change only it. Default: the table's AUTO_INCREMENT column.
	FirstBy string `yaml:"first_by"`
	// Created is a column set to NOW() when SCIM inserts the row.
	Created string `yaml:"created"`
	// LastModified is a column set to NOW() when SCIM inserts or updates
	// the row.
	LastModified string `yaml:"last_modified"`
}

// MembersSpec is the YAML shape of groups.members: join or column.
type MembersSpec struct {
	// Join is a join table of (user, group) pairs: many groups per user.
	Join *JoinSpec `yaml:"join"`
	// Column is the group column on the users table: one group per user.
	Column string `yaml:"column"`
	// Rule is what adding a user to a second group does in the column
	// model: first_wins (the default) or last_wins.
	Rule string `yaml:"rule"`
	// OnRemove is, in the column model, the group id that removing a user
	// from her group writes instead of NULL (on_remove: 1, the app's
	// default role).
	OnRemove yaml.Node `yaml:"on_remove"`
}

// JoinSpec is the YAML shape of groups.members.join.
type JoinSpec struct {
	// Table is the join table, or database.table.
	Table string `yaml:"table" jsonschema:"required"`
	// User is the join table's column that holds the user's id.
	User string `yaml:"user" jsonschema:"required"`
	// Group is the join table's column that holds the group's id.
	Group string `yaml:"group" jsonschema:"required"`
	// Where is the condition, as column: constant pairs, that makes a row
	// a membership (contextid: 1, DeleteAt: 0); new rows are written with
	// these values.
	Where yaml.Node `yaml:"where"`
	// Defaults are column: value pairs that fill other columns of a new
	// pair: a constant (granted_by: scim), the time (now, epoch_seconds,
	// epoch_ms), { group: column } copied from the group's row, or
	// { next_id: ... } for an id the app allocates.
	Defaults yaml.Node `yaml:"defaults"`
	// OnRemove is delete (the default), or the column: value pairs a
	// removal sets instead of deleting the row (DeleteAt: epoch_ms); an
	// add revives such a row.
	OnRemove yaml.Node `yaml:"on_remove"`
}

// DeclaredGroupsSpec is the YAML shape of a groups section whose groups are
// not rows of a table but names the mapping declares, each its own id: "groups
// named system_admin and system_user_manager, listed in the Roles column,
// space separated" (Mattermost Users.Roles), or kept as rows of user and
// group name (MediaWiki user_groups). Entries it does not name stay as they are.
type DeclaredGroupsSpec struct {
	// Names are the groups SCIM manages, which are also their ids; other
	// entries of the list (Mattermost's system_user) are never changed.
	Names []string `yaml:"names" jsonschema:"required"`
	// List is where a user's groups are kept: a column of the users table
	// (or of a related row) and its format. Give list or rows.
	List *ListSpec `yaml:"list"`
	// Rows keeps each membership as a row (user, group name) of a table
	// with no table of groups (MediaWiki's user_groups).
	Rows *NameRowsSpec `yaml:"rows"`
}

// NameRowsSpec is the YAML shape of groups.rows: a table of (user, group
// name) pairs, as MediaWiki's user_groups(ug_user, ug_group).
type NameRowsSpec struct {
	// Table is the membership table, or database.table.
	Table string `yaml:"table" jsonschema:"required"`
	// User is its column that holds the user's id.
	User string `yaml:"user" jsonschema:"required"`
	// Name is its column that holds the group's name.
	Name string `yaml:"name" jsonschema:"required"`
}

// ListSpec is the YAML shape of groups.list.
type ListSpec struct {
	// Column is the users table's column that holds the list.
	Column string `yaml:"column" jsonschema:"required"`
	// Format is how the list is written: space_separated
	// ('system_user system_admin'), comma_separated, json_array
	// ('["admin","dev"]') or php_array_keys (WordPress wp_capabilities,
	// 'a:1:{s:13:"administrator";b:1;}').
	Format string `yaml:"format" jsonschema:"required"`
	// Related keeps the list in a row of another table that belongs to the
	// user (WordPress: the wp_usermeta row whose meta_key is
	// wp_capabilities); column is then that table's column.
	Related *ListRelatedSpec `yaml:"related"`
}

// ListRelatedSpec is the YAML shape of groups.list.related: the row of
// table whose key is the user's id and whose where columns hold their
// values. Adding a user's first group inserts that row.
type ListRelatedSpec struct {
	// Table is the related table, or database.table.
	Table string `yaml:"table" jsonschema:"required"`
	// Key is the related table's column that holds the user's id.
	Key string `yaml:"key" jsonschema:"required"`
	// Where are column: value pairs that pick the row among the user's
	// (meta_key: wp_capabilities); a row SCIM inserts gets them.
	Where yaml.Node `yaml:"where"`
}
