package mapping

import "strings"

// Schema URNs defined by RFC 7643 and RFC 7644.
const (
	UserSchema           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchema          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	ListResponseSchema   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	ErrorSchema          = "urn:ietf:params:scim:api:messages:2.0:Error"
	PatchOpSchema        = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SPConfigSchema       = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	ResourceTypeSchema   = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema         = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// AttrType is a SCIM attribute data type (RFC 7643 §2.3).
type AttrType string

// The SCIM data types.
const (
	TypeString    AttrType = "string"
	TypeBoolean   AttrType = "boolean"
	TypeDecimal   AttrType = "decimal"
	TypeInteger   AttrType = "integer"
	TypeDateTime  AttrType = "dateTime"
	TypeReference AttrType = "reference"
	TypeBinary    AttrType = "binary"
	TypeComplex   AttrType = "complex"
)

// Mutability is an attribute's "mutability" characteristic.
type Mutability string

// The mutability values of RFC 7643 §7.
const (
	ReadOnly  Mutability = "readOnly"
	ReadWrite Mutability = "readWrite"
	Immutable Mutability = "immutable"
	WriteOnly Mutability = "writeOnly"
)

// Returned is an attribute's "returned" characteristic.
type Returned string

// The returned values of RFC 7643 §7.
const (
	ReturnedAlways  Returned = "always"
	ReturnedNever   Returned = "never"
	ReturnedDefault Returned = "default"
	ReturnedRequest Returned = "request"
)

// Uniqueness is an attribute's "uniqueness" characteristic.
type Uniqueness string

// The uniqueness values of RFC 7643 §7.
const (
	UniqueNone   Uniqueness = "none"
	UniqueServer Uniqueness = "server"
	UniqueGlobal Uniqueness = "global"
)

// AttrDef is the definition of one attribute in a SCIM schema.
type AttrDef struct {
	Name            string
	Type            AttrType
	MultiValued     bool
	Description     string
	Required        bool
	CaseExact       bool
	Mutability      Mutability
	Returned        Returned
	Uniqueness      Uniqueness
	CanonicalValues []string
	ReferenceTypes  []string
	SubAttributes   []*AttrDef
}

// Sub returns the sub-attribute named name (case-insensitively), or nil.
func (d *AttrDef) Sub(name string) *AttrDef {
	for _, s := range d.SubAttributes {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// SchemaDef is a SCIM schema: an identifier and its attributes.
type SchemaDef struct {
	ID          string
	Name        string
	Description string
	Attributes  []*AttrDef
}

// Attr returns the attribute named name (case-insensitively), or nil.
func (s *SchemaDef) Attr(name string) *AttrDef {
	for _, a := range s.Attributes {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

func str(name, desc string) *AttrDef {
	return &AttrDef{Name: name, Type: TypeString, Description: desc, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: UniqueNone}
}

func ref(name, desc string, types ...string) *AttrDef {
	d := str(name, desc)
	d.Type = TypeReference
	d.ReferenceTypes = types
	return d
}

func boolean(name, desc string) *AttrDef {
	d := str(name, desc)
	d.Type = TypeBoolean
	return d
}

func complexAttr(name, desc string, multi bool, subs ...*AttrDef) *AttrDef {
	d := str(name, desc)
	d.Type = TypeComplex
	d.MultiValued = multi
	d.SubAttributes = subs
	return d
}

// multiValued builds the usual value/display/type/primary shape of RFC 7643
// §2.4 multi-valued attributes, with extra sub-attributes appended.
func multiValued(name, desc string, value *AttrDef, types []string, extra ...*AttrDef) *AttrDef {
	typ := str("type", "A label indicating the attribute's function.")
	typ.CanonicalValues = types
	subs := []*AttrDef{value, str("display", "A human-readable name, primarily used for display purposes."), typ,
		boolean("primary", "A Boolean value indicating the preferred attribute value.")}
	return complexAttr(name, desc, true, append(subs, extra...)...)
}

func readOnly(d *AttrDef) *AttrDef {
	d.Mutability = ReadOnly
	return d
}

func immutable(d *AttrDef) *AttrDef {
	d.Mutability = Immutable
	return d
}

func caseExact(d *AttrDef) *AttrDef {
	d.CaseExact = true
	return d
}

// coreUser is the User schema of RFC 7643 §4.1 and §8.7.1.
var coreUser = &SchemaDef{
	ID:          UserSchema,
	Name:        "User",
	Description: "User Account",
	Attributes: []*AttrDef{
		func() *AttrDef {
			d := str("userName", "Unique identifier for the User, typically used by the user to directly authenticate to the service provider.")
			d.Required = true
			d.Uniqueness = UniqueServer
			return d
		}(),
		complexAttr("name", "The components of the user's real name.", false,
			str("formatted", "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display."),
			str("familyName", "The family name of the User, or last name in most Western languages."),
			str("givenName", "The given name of the User, or first name in most Western languages."),
			str("middleName", "The middle name(s) of the User."),
			str("honorificPrefix", "The honorific prefix(es) of the User, or title in most Western languages."),
			str("honorificSuffix", "The honorific suffix(es) of the User, or suffix in most Western languages."),
		),
		str("displayName", "The name of the User, suitable for display to end-users."),
		str("nickName", "The casual way to address the user in real life."),
		ref("profileUrl", "A fully qualified URL pointing to a page representing the User's online profile.", "external"),
		str("title", "The user's title, such as \"Vice President\"."),
		str("userType", "Used to identify the relationship between the organization and the user."),
		str("preferredLanguage", "Indicates the User's preferred written or spoken language."),
		str("locale", "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."),
		str("timezone", "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
		boolean("active", "A Boolean value indicating the User's administrative status."),
		func() *AttrDef {
			d := str("password", "The User's cleartext password, used to set or replace it; never returned.")
			d.Mutability = WriteOnly
			d.Returned = ReturnedNever
			return d
		}(),
		multiValued("emails", "Email addresses for the user.", str("value", "Email address for the user."), []string{"work", "home", "other"}),
		multiValued("phoneNumbers", "Phone numbers for the User.", str("value", "Phone number of the User."), []string{"work", "home", "mobile", "fax", "pager", "other"}),
		multiValued("ims", "Instant messaging addresses for the User.", str("value", "Instant messaging address for the User."), []string{"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"}),
		multiValued("photos", "URLs of photos of the User.", ref("value", "URL of a photo of the User.", "external"), []string{"photo", "thumbnail"}),
		func() *AttrDef {
			d := multiValued("addresses", "A physical mailing address for this User.", str("formatted", "The full mailing address, formatted for display or use with a mailing label."), []string{"work", "home", "other"},
				str("streetAddress", "The full street address component."),
				str("locality", "The city or locality component."),
				str("region", "The state or region component."),
				str("postalCode", "The zip code or postal code component."),
				str("country", "The country name component."),
			)
			// addresses has no "value" sub-attribute; drop "display" as RFC 7643 does.
			d.SubAttributes = append(d.SubAttributes[:1], d.SubAttributes[2:]...)
			return d
		}(),
		readOnly(complexAttr("groups", "A list of groups to which the user belongs.", true,
			readOnly(str("value", "The identifier of the User's group.")),
			readOnly(ref("$ref", "The URI of the corresponding 'Group' resource to which the user belongs.", "User", "Group")),
			readOnly(str("display", "A human-readable name, primarily used for display purposes.")),
			func() *AttrDef {
				d := readOnly(str("type", "A label indicating the attribute's function, e.g., 'direct' or 'indirect'."))
				d.CanonicalValues = []string{"direct", "indirect"}
				return d
			}(),
		)),
		multiValued("entitlements", "A list of entitlements for the User that represent a thing the User has.", str("value", "The value of an entitlement."), nil),
		multiValued("roles", "A list of roles for the User that collectively represent who the User is.", str("value", "The value of a role."), nil),
		multiValued("x509Certificates", "A list of certificates issued to the User.", &AttrDef{Name: "value", Type: TypeBinary, Description: "The value of an X.509 certificate.", Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: UniqueNone}, nil),
	},
}

// enterpriseUser is the Enterprise User extension of RFC 7643 §4.3.
var enterpriseUser = &SchemaDef{
	ID:          EnterpriseUserSchema,
	Name:        "EnterpriseUser",
	Description: "Enterprise User",
	Attributes: []*AttrDef{
		str("employeeNumber", "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization."),
		str("costCenter", "Identifies the name of a cost center."),
		str("organization", "Identifies the name of an organization."),
		str("division", "Identifies the name of a division."),
		str("department", "Identifies the name of a department."),
		complexAttr("manager", "The User's manager.", false,
			str("value", "The id of the SCIM resource representing the User's manager."),
			ref("$ref", "The URI of the SCIM resource representing the User's manager.", "User"),
			readOnly(str("displayName", "The displayName of the User's manager.")),
		),
	},
}

// coreGroup is the Group schema of RFC 7643 §4.2.
var coreGroup = &SchemaDef{
	ID:          GroupSchema,
	Name:        "Group",
	Description: "Group",
	Attributes: []*AttrDef{
		func() *AttrDef {
			d := str("displayName", "A human-readable name for the Group.")
			d.Required = true
			return d
		}(),
		complexAttr("members", "A list of members of the Group.", true,
			immutable(str("value", "Identifier of the member of this Group.")),
			immutable(ref("$ref", "The URI corresponding to a SCIM resource that is a member of this Group.", "User", "Group")),
			readOnly(str("display", "A human-readable name, primarily used for display purposes.")),
			func() *AttrDef {
				d := immutable(str("type", "A label indicating the type of resource, e.g., 'User' or 'Group'."))
				d.CanonicalValues = []string{"User", "Group"}
				return d
			}(),
		),
	},
}

// externalIDDef describes the common attribute externalId (RFC 7643 §3.1),
// which belongs to no schema but may be mapped like one.
var externalIDDef = caseExact(str("externalId", "An identifier for the resource as defined by the provisioning client."))

// knownSchemas are the schemas whose attribute lists are fixed by RFC 7643.
// Attributes of any other extension URN are declared by the mapping.
var knownSchemas = map[string]*SchemaDef{
	strings.ToLower(UserSchema):           coreUser,
	strings.ToLower(GroupSchema):          coreGroup,
	strings.ToLower(EnterpriseUserSchema): enterpriseUser,
}
