// Package sample embeds the sample legacy app that retroscim demo serves:
// its schema with rows (two tenants, SSO users and local accounts, roles)
// and the mapping in config.yaml.
package sample

import _ "embed"

// Schema creates the sample app's tables and rows.
//
//go:embed schema.sql
var Schema string

// Config is the retroscim configuration that maps the sample app.
//
//go:embed config.yaml
var Config []byte
