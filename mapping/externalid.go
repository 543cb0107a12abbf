package mapping

// externalId (RFC 7643 §3.1) belongs to no schema, but Microsoft's gallery
// validation requires every attribute a client may send to be listed in
// /Schemas, exempting only id: a mapped externalId is published in the
// resource's core schema, and an unmapped one is never silently dropped
// on a group.

// ExternalIDSchemaAttr is externalId as /Schemas lists it in the
// resource's core schema, with the mapping's characteristics; nil when
// the mapping does not store it.
func (r *Resource) ExternalIDSchemaAttr() *AttrDef {
	a := r.find("", "externalId", "", "")
	if a == nil {
		return nil
	}
	return (&viewAttr{def: a.Def, simple: a}).effectiveDef()
}

// unmappedExternalID decides what a value for an externalId the mapping
// does not store does. A user's is ignored: Entra sends one with every
// create, and users are matched by userName. A group's is refused, so
// that Entra does not believe it stored the group's object id; removing
// it, or sending null, changes nothing and is accepted.
func (r *Resource) unmappedExternalID(op string, value any) error {
	if r.Schema.ID != GroupSchema || op == "remove" || value == nil || value == "" {
		return nil
	}
	return requestErr(SCIMInvalidValue, "externalId cannot be stored: %s maps no externalId column; map one (%s.attributes.externalId: { column: <column> }) or remove externalId from the identity provider's group attribute mappings; nothing was changed", r.key, r.key)
}
