package mapping

import "fmt"

// SCIMType is a SCIM error type (RFC 7644 §3.12, Table 9): the scimType of
// an error response. Every layer names errors with these constants; the
// adapter alone chooses the HTTP status that goes with them.
type SCIMType string

// The SCIM error types.
const (
	SCIMInvalidFilter SCIMType = "invalidFilter"
	SCIMTooMany       SCIMType = "tooMany"
	SCIMUniqueness    SCIMType = "uniqueness"
	SCIMMutability    SCIMType = "mutability"
	SCIMInvalidSyntax SCIMType = "invalidSyntax"
	SCIMInvalidPath   SCIMType = "invalidPath"
	SCIMNoTarget      SCIMType = "noTarget"
	SCIMInvalidValue  SCIMType = "invalidValue"
	SCIMInvalidVers   SCIMType = "invalidVers"
	SCIMSensitive     SCIMType = "sensitive"
)

// RequestError is a client mistake in a request body or parameter: a value
// that breaks a rule, a path that names nothing, a change to an immutable
// attribute. SCIMType is the RFC 7644 error type; Msg is for the client.
type RequestError struct {
	SCIMType SCIMType
	Msg      string
}

func (e *RequestError) Error() string { return e.Msg }

func requestErr(scimType SCIMType, format string, args ...any) *RequestError {
	return &RequestError{SCIMType: scimType, Msg: fmt.Sprintf(format, args...)}
}
