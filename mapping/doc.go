// Package mapping is the model of how SCIM resources map onto an
// application's existing tables: it decodes and validates the YAML mapping
// (Parse, LoadFile), binds it to the table columns the caller read from the
// database (Bind, Check), turns each request into whole statements (values
// of legacy/sqlstmt: ListQuery, Target's Read, Lock, Update and Delete,
// InsertStmt, the membership statements), compiles SCIM filters into the
// predicates of those statements, applies PATCH and PUT bodies to a row as
// a Draft, and renders rows as SCIM objects. It performs no database or
// network I/O: legacy runs the statements it builds; LoadFile is its only
// file read. Of legacy it imports only the leaf legacy/sqlstmt.
package mapping
