package mapping

// externalId (RFC 7643 §3.1) belongs to no schema, but Microsoft's gallery
// validation requires every attribute a client may send to be listed in
// /Schemas, exempting only id: a mapped externalId is published in the
// resource's core schema. An unmapped one is ignored, for users and groups
// alike: Entra's default mappings send one on every create (a user's and a
// group's object id), and refusing it would refuse Entra's provisioning
// out of the box; /Schemas then tells the client it is not stored.

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
