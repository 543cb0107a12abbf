// Package mapping is the model of how SCIM resources map onto an
// application's existing tables: it decodes and validates the YAML mapping
// (Parse, LoadFile), binds it to the table columns the caller read from the
// database (Bind, Check), compiles SCIM filters into parameterised SQL
// predicates, applies PATCH and PUT bodies to a row as a Draft and turns
// the result into column writes (UpdateSet, InsertSet), builds the
// membership statements, and renders rows as SCIM objects. It performs no
// database or network I/O: callers run the statements it builds; LoadFile
// is its only file read.
package mapping
