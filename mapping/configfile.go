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
	// ID is the primary key column, served as the SCIM id (default "id"),
	// or { column, generate, copy_to } to say how POST makes the ids of a
	// text column: generate: uuid (the default, 36 characters), uuid_hex
	// (32) or mattermost (26, Mattermost's model.NewId).
	ID yaml.Node `yaml:"id"`
	// Scope says which rows SCIM may see and change: `all`, or column:
	// value | [values] | null | { not: value(s) }, all of which must hold.
	Scope yaml.Node `yaml:"scope" jsonschema:"required"`
	// Tenant is the column that scopes every statement to the token's tenant.
	Tenant string `yaml:"tenant"`
	// TenantThrough gives the tenants of a global user row as rows of a
	// membership table (Grafana's and Gitea's org_user): the token's tenant
	// sees the users with a row for it. Not with tenant.
	TenantThrough *TenantThroughSpec `yaml:"tenant_through"`
	// Create says whether POST may insert rows: deny (rows come from SSO
	// login; the default) or allow.
	Create string `yaml:"create"`
	// Delete says what DELETE does: deactivate (users only), delete the
	// row, deny, or { set: { column: value } }, writes that move the row
	// out of the scope (users.delete: { set: { deleted_at: now } }).
	Delete yaml.Node `yaml:"delete"`
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

// IDSpec is users.id or groups.id written as a mapping: the primary key
// column and how POST generates its values when the column is text and
// not AUTO_INCREMENT.
type IDSpec struct {
	// Column is the primary key column, served as the SCIM id.
	Column string `yaml:"column" jsonschema:"required"`
	// Generate is the format of the ids POST generates: uuid (RFC 4122
	// version 4, 36 characters; the default), uuid_hex (the same 128 bits
	// as 32 hexadecimal digits) or mattermost (26 characters, base32 of a
	// random UUID in Mattermost's alphabet, as model.NewId makes them).
	Generate string `yaml:"generate"`
	// CopyTo are other text columns of the new row that get the same
	// generated id (Mattermost's Teams.Name, for which model.NewId is a
	// valid team name).
	CopyTo []string `yaml:"copy_to"`
}

// TenantThroughSpec is the YAML shape of users.tenant_through: a user is in
// the token's tenant when a row of table has the user's id in user and the
// tenant in tenant (org_user: user_id, org_id).
type TenantThroughSpec struct {
	// Table is the membership table, or database.table.
	Table string `yaml:"table" jsonschema:"required"`
	// User is the membership table's column that holds the user's id.
	User string `yaml:"user" jsonschema:"required"`
	// Tenant is the membership table's column that holds the tenant.
	Tenant string `yaml:"tenant" jsonschema:"required"`
	// Defaults are column: value pairs that fill other columns of a new
	// membership row: a constant (role: Viewer) or the time (now,
	// epoch_seconds, epoch_ms).
	Defaults yaml.Node `yaml:"defaults"`
	// ExistingUsers is what a POST does with a userName held by a user of
	// another tenant: refuse (409, naming nothing of the other tenant; the
	// default) or join (add a membership for the token's tenant and answer
	// with that user). join trusts every tenant with every userName: a
	// tenant that POSTs one gains that user.
	ExistingUsers string `yaml:"existing_users"`
	// Deactivate is what active=false does: user (write the user row's
	// active column, which every tenant sees; the default) or membership
	// (remove the membership row, as DELETE does).
	Deactivate string `yaml:"deactivate"`
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
	// the default) or delete (remove the row) with column; with when, the
	// list of actions that deactivate a user, as
	// [ { set: { DeleteAt: now_ms } } ] (Mattermost).
	Deactivate yaml.Node `yaml:"deactivate"`
	// When is the condition under which a user is active, instead of one
	// flag column: column: value | [values] | null | { not: value(s) },
	// row: { table, key, where } (the user has such a row) and no_row:
	// (the user has none), all of which must hold. Needs deactivate and
	// reactivate lists.
	When yaml.Node `yaml:"when"`
	// Reactivate is the list of actions that make an inactive user active
	// again (with when), as [ { set: { DeleteAt: 0 } } ].
	Reactivate []ActionSpec `yaml:"reactivate"`
}

// ActionSpec is one step of users.active.deactivate or .reactivate (with
// when), or of users.delete: exactly one of set, write_row, delete_row.
type ActionSpec struct {
	// Set writes columns of the user's row: column: value, where the value
	// is a constant, now (NOW(6)), now_s or now_ms (the current time in
	// epoch seconds or milliseconds).
	Set yaml.Node `yaml:"set"`
	// WriteRow writes the user's row of another table: it updates the row
	// when it exists and inserts it (with key and where) when it does not.
	WriteRow *RowWriteSpec `yaml:"write_row"`
	// DeleteRow deletes the user's rows of another table that match where.
	DeleteRow *RowSpec `yaml:"delete_row"`
}

// RowSpec names the user's rows of another table: those whose key column
// holds the user's id and whose where columns hold fixed values.
type RowSpec struct {
	// Table is the other table, or database.table.
	Table string `yaml:"table" jsonschema:"required"`
	// Key is its column that holds the user's id.
	Key string `yaml:"key" jsonschema:"required"`
	// Where are column: value pairs (integers or plain words) that pick
	// the rows.
	Where yaml.Node `yaml:"where"`
}

// RowWriteSpec is a write_row action: the row RowSpec names, and what
// to write in it.
type RowWriteSpec struct {
	// Table is the other table, or database.table.
	Table string `yaml:"table" jsonschema:"required"`
	// Key is its column that holds the user's id.
	Key string `yaml:"key" jsonschema:"required"`
	// Where are column: value pairs (integers or plain words) that pick
	// the row; an inserted row gets them.
	Where yaml.Node `yaml:"where"`
	// Set are the column: value writes, constants or now, now_s, now_ms.
	Set yaml.Node `yaml:"set" jsonschema:"required"`
}

// DeleteSpec is users.delete or groups.delete written as a mapping:
// DELETE keeps the row and moves it out of the scope, so that it is gone
// for every later request (RFC 7644 §3.6). A group keeps its membership
// rows, as Mattermost's archived team does ({ set: { DeleteAt: now_ms } }).
type DeleteSpec struct {
	// Set writes columns of the row, as { deleted_at: now }; at least one
	// of them must be a scope column whose new value the scope excludes.
	Set yaml.Node `yaml:"set" jsonschema:"required"`
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
	// UniqueWithin is which rows a unique value must not repeat in: table
	// (the default: any row, as the app's own unique key would say) or
	// scope (only rows inside the scope and tenant: Redmine's group names
	// are unique among groups, while a user in the same table may have
	// that surname).
	UniqueWithin string `yaml:"unique_within"`
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

// ScopeExistsSpec is the YAML shape of scope.exists (one, or a list that
// must all hold): a user is in scope only when table has a row whose key
// is the user's id and whose where columns hold their values, as Grafana's
// SSO users have a user_auth row with auth_module auth.saml. A POST
// (create: allow) inserts that row.
type ScopeExistsSpec struct {
	// Table is the related table, or database.table.
	Table string `yaml:"table" jsonschema:"required"`
	// Key is the related table's column that holds the user's id.
	Key string `yaml:"key" jsonschema:"required"`
	// Where are column: value pairs the row must hold (integers or plain
	// words); a row SCIM inserts gets them.
	Where yaml.Node `yaml:"where"`
	// Created is a column set to NOW() when SCIM inserts the row.
	Created string `yaml:"created"`
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
	// WhenAdded are what the app keeps in step when members are added, run
	// in the same transaction: increment: <counter column of the group's
	// row> (Gitea team.num_members), or insert: a companion row (Gitea's
	// org_user).
	WhenAdded []StepSpec `yaml:"when_added"`
	// WhenRemoved are what the app keeps in step when members are removed:
	// decrement: <counter column of the group's row>.
	WhenRemoved []StepSpec `yaml:"when_removed"`
}

// StepSpec is one entry of groups.members.when_added or when_removed:
// exactly one of its keys.
type StepSpec struct {
	// Increment is a counter column of the group's row, raised by the
	// number of memberships added.
	Increment string `yaml:"increment"`
	// Decrement is a counter column of the group's row, lowered by the
	// number of memberships removed (never below 0).
	Decrement string `yaml:"decrement"`
	// Insert adds a companion row per added member unless the member
	// already has one (Gitea inserts org_user on a team add).
	Insert *CompanionSpec `yaml:"insert"`
}

// CompanionSpec is the YAML shape of a when_added insert.
type CompanionSpec struct {
	// Table is the companion table, or database.table.
	Table string `yaml:"table" jsonschema:"required"`
	// User is its column that holds the member's id.
	User string `yaml:"user" jsonschema:"required"`
	// Values are its other columns: a constant, the time (now,
	// epoch_seconds, epoch_ms) or { group: column } copied from the group's
	// row. The member has a companion row already when one has the same
	// user and the same values copied from the group.
	Values yaml.Node `yaml:"values"`
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
	// TenantRole keeps a user's one group in a column of her membership
	// row for the token's tenant (users.tenant_through): Grafana's
	// org_user.role, Admin, Editor or Viewer.
	TenantRole *TenantRoleSpec `yaml:"tenant_role"`
}

// TenantRoleSpec is the YAML shape of groups.tenant_role: the column of the
// users.tenant_through row that holds the user's role in the tenant.
type TenantRoleSpec struct {
	// Column is the membership table's column that holds the role.
	Column string `yaml:"column" jsonschema:"required"`
	// OnRemove is what removing a user from her group writes, as the
	// column takes one value (Grafana: Viewer). When it is a declared
	// name, that group's members cannot be removed.
	OnRemove string `yaml:"on_remove" jsonschema:"required"`
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
	// Expiry is the column that ends a membership at a time (MediaWiki's
	// ug_expiry; NULL never ends): an expired row is not a membership, and
	// adding its user again writes NULL there.
	Expiry *ExpirySpec `yaml:"expiry"`
}

// ExpirySpec is the YAML shape of groups.rows.expiry.
type ExpirySpec struct {
	// Column holds when the membership ends; it must allow NULL.
	Column string `yaml:"column" jsonschema:"required"`
	// Format is how it holds the time: yyyymmddhhmmss (MediaWiki's
	// 14-character UTC timestamp, '20300101000000'), datetime (DATETIME or
	// TIMESTAMP), epoch_seconds or epoch_ms.
	Format string `yaml:"format" jsonschema:"required"`
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
