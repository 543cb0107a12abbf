package mapping

import "fmt"

// SCIM error types a request can earn (RFC 7644 §3.12).
const (
	ScimInvalidValue  = "invalidValue"
	ScimInvalidFilter = "invalidFilter"
	ScimInvalidSyntax = "invalidSyntax"
	ScimInvalidPath   = "invalidPath"
	ScimNoTarget      = "noTarget"
	ScimMutability    = "mutability"
	ScimUniqueness    = "uniqueness"
)

// RequestError is a client mistake in a request body or parameter: a value
// that breaks a rule, a path that names nothing, a change to an immutable
// attribute. SCIMType is the RFC 7644 error type; Msg is for the client.
type RequestError struct {
	SCIMType string
	Msg      string
}

func (e *RequestError) Error() string { return e.Msg }

func requestErr(scimType, format string, args ...any) *RequestError {
	return &RequestError{SCIMType: scimType, Msg: fmt.Sprintf(format, args...)}
}
