package adapter

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/retroscim/retroscim/mapping"
)

// The discovery documents (RFC 7644 §4) describe what this configuration
// actually serves: only mapped attributes, with the mutability, uniqueness
// and case sensitivity the mapping gives them.

func (s *Server) serviceProviderConfig(c echo.Context) error {
	supported := func(b bool) mapping.Object {
		var o mapping.Object
		o.Set("supported", b)
		return o
	}
	var o mapping.Object
	o.Set("schemas", []string{mapping.SPConfigSchema})
	o.Set("documentationUri", "https://github.com/retroscim/retroscim#readme")
	o.Set("patch", supported(true))
	bulk := supported(false)
	bulk.Set("maxOperations", 0)
	bulk.Set("maxPayloadSize", 0)
	o.Set("bulk", bulk)
	filter := supported(true)
	filter.Set("maxResults", s.conf(c).Pagination.MaxCount)
	o.Set("filter", filter)
	o.Set("changePassword", supported(false))
	o.Set("sort", supported(true))
	o.Set("etag", supported(true))
	var scheme mapping.Object
	scheme.Set("type", "oauthbearertoken")
	scheme.Set("name", "OAuth Bearer Token")
	scheme.Set("description", "Authentication with a bearer token issued by the service provider (Authorization: Bearer <token>)")
	scheme.Set("primary", true)
	o.Set("authenticationSchemes", []mapping.Object{scheme})
	o.Set("meta", meta("ServiceProviderConfig", s.baseURL(c)+"/ServiceProviderConfig"))
	return writeJSON(c, http.StatusOK, o)
}

func meta(resourceType, location string) mapping.Object {
	var m mapping.Object
	m.Set("resourceType", resourceType)
	m.Set("location", location)
	return m
}

// resources lists the resource types this configuration serves.
func resources(cfg *mapping.Config) []*mapping.Resource {
	if cfg.RoleList != nil {
		return []*mapping.Resource{cfg.Users, cfg.RoleList.Discovery()}
	}
	if cfg.Groups != nil {
		return []*mapping.Resource{cfg.Users, cfg.Groups}
	}
	return []*mapping.Resource{cfg.Users}
}

func (s *Server) resourceTypeObject(c echo.Context, r *mapping.Resource) mapping.Object {
	var o mapping.Object
	o.Set("schemas", []string{mapping.ResourceTypeSchema})
	o.Set("id", r.Type)
	o.Set("name", r.Type)
	o.Set("endpoint", r.Endpoint)
	o.Set("description", r.Schema.Description)
	o.Set("schema", r.Schema.ID)
	if len(r.Extensions) > 0 {
		var exts []mapping.Object
		for _, e := range r.Extensions {
			var x mapping.Object
			x.Set("schema", e.ID)
			x.Set("required", false)
			exts = append(exts, x)
		}
		o.Set("schemaExtensions", exts)
	}
	o.Set("meta", meta("ResourceType", s.baseURL(c)+"/ResourceTypes/"+r.Type))
	return o
}

// rejectFilter answers the RFC 7644 §4 rule for discovery endpoints.
func rejectFilter(c echo.Context) error {
	if c.QueryParam("filter") != "" {
		return errorf(http.StatusForbidden, "", "filtering is not supported on %s", c.Request().URL.Path)
	}
	return nil
}

func (s *Server) resourceTypes(c echo.Context) error {
	if err := rejectFilter(c); err != nil {
		return err
	}
	var list []mapping.Object
	for _, r := range resources(s.conf(c)) {
		list = append(list, s.resourceTypeObject(c, r))
	}
	return writeJSON(c, http.StatusOK, listResponse(len(list), 1, len(list), list))
}

func (s *Server) resourceType(c echo.Context) error {
	for _, r := range resources(s.conf(c)) {
		if strings.EqualFold(r.Type, pathParam(c, "name")) {
			return writeJSON(c, http.StatusOK, s.resourceTypeObject(c, r))
		}
	}
	return errorf(http.StatusNotFound, "", "no resource type %q; this server serves %s", truncate(pathParam(c, "name"), 60), resourceTypeNames(s.conf(c)))
}

func resourceTypeNames(cfg *mapping.Config) string {
	var names []string
	for _, r := range resources(cfg) {
		names = append(names, r.Type)
	}
	return strings.Join(names, ", ")
}

// schemaDefs lists every schema served, core schemas first.
func schemaDefs(cfg *mapping.Config) []*mapping.SchemaDef {
	var defs []*mapping.SchemaDef
	seen := map[string]bool{}
	for _, r := range resources(cfg) {
		for _, d := range append([]*mapping.SchemaDef{r.Schema}, r.Extensions...) {
			if !seen[d.ID] {
				seen[d.ID] = true
				defs = append(defs, d)
			}
		}
	}
	return defs
}

func (s *Server) schemaObject(c echo.Context, d *mapping.SchemaDef) mapping.Object {
	var o mapping.Object
	o.Set("schemas", []string{mapping.SchemaSchema})
	o.Set("id", d.ID)
	o.Set("name", d.Name)
	o.Set("description", d.Description)
	var attrs []mapping.Object
	for _, r := range resources(s.conf(c)) {
		if x := r.ExternalIDSchemaAttr(); x != nil && r.Schema == d {
			attrs = append(attrs, attributeObject(x)) // RFC 7643 §3.1; Entra's gallery checks for it
		}
	}
	for _, a := range d.Attributes {
		attrs = append(attrs, attributeObject(a))
	}
	o.Set("attributes", attrs)
	o.Set("meta", meta("Schema", s.baseURL(c)+"/Schemas/"+d.ID))
	return o
}

// attributeObject renders an attribute definition (RFC 7643 §7).
func attributeObject(a *mapping.AttrDef) mapping.Object {
	var o mapping.Object
	o.Set("name", a.Name)
	o.Set("type", string(a.Type))
	o.Set("multiValued", a.MultiValued)
	o.Set("description", a.Description)
	o.Set("required", a.Required)
	if a.Type == mapping.TypeString || a.Type == mapping.TypeReference || a.Type == mapping.TypeBinary {
		o.Set("caseExact", a.CaseExact)
	}
	if len(a.CanonicalValues) > 0 {
		o.Set("canonicalValues", a.CanonicalValues)
	}
	if len(a.ReferenceTypes) > 0 {
		o.Set("referenceTypes", a.ReferenceTypes)
	}
	o.Set("mutability", string(a.Mutability))
	o.Set("returned", string(a.Returned))
	if a.Type != mapping.TypeComplex {
		o.Set("uniqueness", string(a.Uniqueness))
	}
	if len(a.SubAttributes) > 0 {
		subs := make([]mapping.Object, len(a.SubAttributes))
		for i, sa := range a.SubAttributes {
			subs[i] = attributeObject(sa)
		}
		o.Set("subAttributes", subs)
	}
	return o
}

func (s *Server) schemas(c echo.Context) error {
	if err := rejectFilter(c); err != nil {
		return err
	}
	var list []mapping.Object
	for _, d := range schemaDefs(s.conf(c)) {
		list = append(list, s.schemaObject(c, d))
	}
	return writeJSON(c, http.StatusOK, listResponse(len(list), 1, len(list), list))
}

func (s *Server) schema(c echo.Context) error {
	for _, d := range schemaDefs(s.conf(c)) {
		if strings.EqualFold(d.ID, pathParam(c, "id")) {
			return writeJSON(c, http.StatusOK, s.schemaObject(c, d))
		}
	}
	return errorf(http.StatusNotFound, "", "no schema %q", truncate(pathParam(c, "id"), 100))
}
