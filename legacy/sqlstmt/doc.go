// Package sqlstmt is SQL statements as values: quoted identifiers, a
// predicate algebra, and SELECT, INSERT, UPDATE and DELETE statements that
// render to text with ? placeholders and their arguments.
//
// It exists so that SQL is assembled in one place. mapping builds the
// statements a SCIM request becomes out of these values (it knows which
// columns mean what); legacy runs them (it knows connections, deadlines,
// the breaker and keyset paging) and never sees a string it did not get
// from here. No value is ever written into SQL text: every value is an
// argument, and every identifier passes through Ident. The package has no
// I/O and imports nothing of retroscim's, so mapping stays pure and legacy
// stays SCIM-free.
package sqlstmt
