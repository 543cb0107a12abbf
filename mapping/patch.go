package mapping

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// PatchOp is one operation of a PATCH request.
type PatchOp struct {
	// Op is add, replace or remove, lower-cased (Entra sends "Replace").
	Op    string
	Path  string
	Value any
	// HasValue tells an absent value from an explicit null.
	HasValue bool
}

// DecodeJSON decodes a request body into a JSON object, keeping numbers
// as json.Number so that no precision is lost before the target attribute
// is known. Anything but one JSON object is an invalidSyntax error.
func DecodeJSON(data []byte) (map[string]any, error) {
	// encoding/json would silently turn invalid UTF-8 into U+FFFD and a
	// name would be stored corrupted; refuse such bodies instead.
	if !utf8.Valid(data) {
		return nil, requestErr(SCIMInvalidSyntax, "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, requestErr(SCIMInvalidSyntax, "the body is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, requestErr(SCIMInvalidSyntax, "the body has data after its JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, requestErr(SCIMInvalidSyntax, "the body must be a JSON object")
	}
	return obj, nil
}

// getFold returns obj's member named name, compared case-insensitively as
// SCIM attribute names are.
func getFold(obj map[string]any, name string) (any, bool) {
	if v, ok := obj[name]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// ParsePatch reads a PatchOp request body (RFC 7644 §3.5.2) in the shapes
// Okta and Entra send: ops in any case, path-less operations whose value
// is an object of attributes.
func ParsePatch(body map[string]any) ([]PatchOp, error) {
	if s, ok := getFold(body, "schemas"); ok {
		list, _ := s.([]any)
		found := false
		for _, x := range list {
			if str, _ := x.(string); strings.EqualFold(str, PatchOpSchema) {
				found = true
			}
		}
		if !found {
			return nil, requestErr(SCIMInvalidSyntax, "schemas must contain %s", PatchOpSchema)
		}
	}
	raw, ok := getFold(body, "Operations")
	if !ok {
		return nil, requestErr(SCIMInvalidSyntax, "the body has no Operations: send {\"schemas\":[%q],\"Operations\":[{\"op\":\"replace\",\"path\":\"...\",\"value\":...}]}", PatchOpSchema)
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return nil, requestErr(SCIMInvalidSyntax, "Operations must be a non-empty array")
	}
	if len(list) > MaxPatchOps {
		return nil, requestErr(SCIMInvalidValue, "at most %d operations per request, got %d", MaxPatchOps, len(list))
	}
	ops := make([]PatchOp, 0, len(list))
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, requestErr(SCIMInvalidSyntax, "operation %d is not an object", i+1)
		}
		var op PatchOp
		opName, _ := getFold(m, "op")
		s, _ := opName.(string)
		op.Op = strings.ToLower(s)
		switch op.Op {
		case "add", "replace", "remove":
		default:
			return nil, requestErr(SCIMInvalidSyntax, "operation %d: op must be add, replace or remove, got %v", i+1, opName)
		}
		if p, ok := getFold(m, "path"); ok && p != nil {
			ps, ok := p.(string)
			if !ok {
				return nil, requestErr(SCIMInvalidPath, "operation %d: path must be a string", i+1)
			}
			op.Path = strings.TrimSpace(ps)
		}
		op.Value, op.HasValue = getFold(m, "value")
		if op.Op != "remove" && !op.HasValue {
			return nil, requestErr(SCIMInvalidValue, "operation %d (%s %s) has no value", i+1, op.Op, op.Path)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// MaxPatchOps bounds the operations of one PATCH request.
const MaxPatchOps = 1000
