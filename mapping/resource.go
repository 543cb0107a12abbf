package mapping

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/retroscim/retroscim/legacy/sqlstmt"
)

// CreatePolicy says what POST does for a resource type.
type CreatePolicy string

// Create policies.
const (
	// CreateDeny refuses POST: rows are created by the app itself (JIT login).
	CreateDeny CreatePolicy = "deny"
	// CreateAllow inserts a row.
	CreateAllow CreatePolicy = "allow"
)

// DeletePolicy says what DELETE does for a resource type.
type DeletePolicy string

// Delete policies.
const (
	// DeleteDeactivate sets the active column to its false value.
	DeleteDeactivate DeletePolicy = "deactivate"
	// DeleteRow removes the row.
	DeleteRow DeletePolicy = "delete"
	// DeleteDeny refuses DELETE.
	DeleteDeny DeletePolicy = "deny"
)

// Resource maps one SCIM resource type onto one table of the app.
type Resource struct {
	// Type is the SCIM resource type name, "User".
	Type string
	// Endpoint is the path under the base path, "/Users".
	Endpoint string
	// Schema is the core schema with only the mapped attributes, plus any
	// custom attributes declared in the core namespace.
	Schema *SchemaDef
	// Extensions are the extension schemas that have mapped attributes, in
	// the order they first appear in the mapping.
	Extensions []*SchemaDef

	Table    string
	IDColumn string
	// IDGenerate is the format of the ids POST generates for a text id
	// column (empty: uuid); IDCopyTo are columns that get the same id.
	IDGenerate IDFormat
	IDCopyTo   []string
	// Scope restricts which rows SCIM can see and change; nil with ScopeAll
	// set means every row.
	Scope    []ScopeTerm
	ScopeAll bool
	// ScopeExists are the scope's conditions on related rows (scope.exists):
	// each must find a row of the user's.
	ScopeExists []ScopeExists
	// TenantColumn, when set, scopes every statement to the caller's tenant.
	TenantColumn string
	// TenantThrough, when set, gives a user's tenants as rows of a
	// membership table; every statement requires a row for the caller's.
	TenantThrough *TenantThrough
	Active        *Active
	// CreatedColumn, LastModifiedColumn and VersionColumn feed meta.created,
	// meta.lastModified and meta.version; empty when not mapped.
	CreatedColumn      string
	LastModifiedColumn string
	VersionColumn      string
	// metaEpoch has the epoch unit of meta columns that are integers, by
	// lower-case column name.
	metaEpoch map[string]Epoch
	Create    CreatePolicy
	Delete    DeletePolicy
	// DeleteSet are the writes of Delete = DeleteOutOfScope.
	DeleteSet []LifeSet
	// Attributes are the mapped attributes in file order.
	Attributes []*Attribute
	// Defaults are values for columns no attribute maps, written when a
	// row is created (such as auth_source = 'saml', which puts it in scope).
	Defaults []ColumnValue

	// selectExprs are the SQL expressions a read selects, in order; Row
	// values are aligned with them. colIndex finds plain columns in it.
	selectExprs []string
	colIndex    map[string]int
	// activeIdx is where a row holds the active column (Active.Column);
	// metaCols the meta columns (metaColumn).
	activeIdx int
	metaCols  []metaColumn
	// columns are the live column facts, by lower-case name, after Bind;
	// tableColumns has them for every table the mapping names.
	columns      map[string]*Column
	tableColumns map[string]map[string]*Column
	// version is how Version reads the version column, once bound;
	// tenantInteger whether the tenant column is an integer (tenantArg).
	version       versionSource
	tenantInteger bool
	// keysetIndex is the index unfiltered lists in id order read through
	// (BindIndexes); "" leaves them to the optimizer.
	keysetIndex string
	// externalID is the mapped externalId, found once for rendering.
	externalID *Attribute
	// scopeTmpl and scopeColsTmpl are the scope predicates (scopeCond and
	// scopeColumnsCond, unqualified) built once with tenantMarker for the
	// tenant; nil when the mapping has tenant_through or is not compiled.
	scopeTmpl, scopeColsTmpl *sqlstmt.Pred
	// targetTmpl is scopeTmpl AND id = idMarker, the WHERE of a read by
	// a plainly compared key (Target).
	targetTmpl *sqlstmt.Pred
	// filters are the compiled shapes of single-comparison filters,
	// renewed by Bind (the column facts decide their SQL); nil caches
	// nothing.
	filters *filterCache
	// idOrders are the order of a list without sortBy, ascending and
	// descending, built once with the select list; nil before.
	idOrders [2][]sqlstmt.OrderKey
	// fromTable is the quoted table, built with the select list.
	fromTable string
	// refs are every column the mapping names, for Bind to verify.
	refs []columnRef
	// members links users and groups; groupsExpr selects a user's groups
	// as JSON, appended to the select list when a request asks for them.
	members    *Membership
	groupsExpr string
	groupsArgs []any
	// views drive rendering: per schema, the attributes in schema order.
	views []*schemaView
	line  int
	key   string
	// activeLine, tenantLine, scopeLine, createLine and deleteLine locate
	// those keys for findings.
	activeLine, tenantLine, scopeLine, createLine, deleteLine int
	// idLine locates the id entry (0 when it is left out).
	idLine int
}

// ScopeTerm is one condition on a column that every SCIM-visible row meets.
type ScopeTerm struct {
	Column string
	// Values the column may hold; a nil element stands for NULL.
	Values []any
	// Negate turns the term into "column holds none of Values".
	Negate bool
}

// Active maps the SCIM active attribute onto a column.
type Active struct {
	// Column holds the active flag; empty when a row's existence is its
	// activity (deactivate: delete without a column).
	Column string
	// True lists the stored values that mean active; anything else is inactive.
	True []any
	// False is the value written to deactivate.
	False any
	// DeleteOnFalse removes the row when active becomes false, for apps
	// where deactivation deletes the user (Harmony SASE frees the licence).
	DeleteOnFalse bool
	// Explicit says the mapping gave the true value(s) rather than the
	// default 1.
	Explicit bool
	// Life, when set, is active as a condition with deactivate and
	// reactivate actions (active: { when, deactivate, reactivate });
	// Column is then empty.
	Life *Lifecycle
}

// ColumnValue is a fixed value for a column.
type ColumnValue struct {
	Column string
	Value  any
}

// Attribute is one mapped SCIM attribute.
type Attribute struct {
	// Key is the mapping key as written in the file.
	Key  string
	Line int
	// SchemaURI is the schema the attribute belongs to; empty for externalId.
	SchemaURI string
	// Name and Sub are the canonical attribute and sub-attribute names, as
	// in "name"/"givenName" or "emails"/"value"; Sub is empty for simple
	// attributes.
	Name string
	Sub  string
	// EntryType is the type of the multi-valued entry, as "work" in
	// emails[type eq "work"].value.
	EntryType string
	// Def defines the mapped (leaf) attribute; Parent the complex attribute
	// it belongs to, or nil.
	Def    *AttrDef
	Parent *AttrDef
	// Column stores the value; for a lookup attribute it stores the key.
	Column string
	// Lookup, when set, stores the value as a key into another table.
	Lookup *Lookup
	// Composed, when set, stores the value as one part of a composed
	// column (Column); part is its place in the template.
	Composed *Composition
	part     int
	// Related, when set, stores the value in a row of another table that
	// belongs to the user; Column is then empty (Related.Column holds it).
	Related *Related

	Mutability Mutability
	Required   bool
	Uniqueness Uniqueness
	// UniqueInScope limits the uniqueness check to rows inside the scope
	// and tenant (unique_within: scope).
	UniqueInScope bool
	CaseExact     bool
	// Custom marks an attribute declared by the mapping rather than RFC 7643.
	Custom bool

	// Validation rules for written values.
	MaxLength      int            // in characters; 0: the column's length
	Pattern        *regexp.Regexp // the whole value must match
	ForbiddenChars string         // none of these characters may appear
	Values         []string       // the only accepted values (case-insensitive)
	// Default is written when the attribute is removed or absent from a
	// PUT or POST; HasDefault says whether one is set.
	Default    any
	HasDefault bool
	// Hash is how a password is stored: "bcrypt", or "none" for cleartext.
	Hash string

	index  int // position in Resource.Attributes
	colIdx int // position of its value in a Row
	relIdx int // position of "the related row exists" in a Row, or -1
}

// Lookup stores a SCIM string as a key into another table: Panther's
// pantherRole "Admin" is users.role_id = roles.id where roles.name = 'Admin'.
type Lookup struct {
	Table string
	Key   string // the referenced key column, default id
	Match string // the column holding the SCIM value
	// Tenant is the lookup table's tenant column, matched to the resource's.
	Tenant string
}

// Path renders the attribute's SCIM path, such as emails[type eq "work"].value.
func (a *Attribute) Path() string {
	var b strings.Builder
	if a.Custom || (a.SchemaURI != "" && !strings.EqualFold(a.SchemaURI, UserSchema) && !strings.EqualFold(a.SchemaURI, GroupSchema)) {
		b.WriteString(a.SchemaURI + ":")
	}
	b.WriteString(a.Name)
	if a.EntryType != "" {
		fmt.Fprintf(&b, "[type eq %q]", a.EntryType)
	}
	if a.Sub != "" {
		b.WriteString("." + a.Sub)
	}
	return b.String()
}

// find returns the mapped attribute with the given canonical identity, or nil.
func (r *Resource) find(schemaURI, name, sub, entryType string) *Attribute {
	for _, a := range r.Attributes {
		if strings.EqualFold(a.SchemaURI, schemaURI) && strings.EqualFold(a.Name, name) &&
			strings.EqualFold(a.Sub, sub) && strings.EqualFold(a.EntryType, entryType) {
			return a
		}
	}
	return nil
}

// Section is the configuration section the resource is mapped in: users or
// groups.
func (r *Resource) Section() string { return r.key }
