// Package examples holds the example configurations (one directory each:
// schema.sql, config.yaml, README.md) and their end-to-end tests, which
// serve each example over a fresh copy of its schema on a real MariaDB and
// replay what Okta and Entra send for it.
package examples
