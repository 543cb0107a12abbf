// Command retroscim serves SCIM 2.0 over an application's existing
// MySQL/MariaDB user tables, as described by a YAML mapping file.
//
//	retroscim demo
//	retroscim serve --config config.yaml
//	retroscim token hash < token.txt
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/retroscim/retroscim/mapping"
)

const usage = `retroscim serves SCIM 2.0 over an application's own MySQL/MariaDB tables.

Usage:
  retroscim demo [--listen 127.0.0.1:8080] [--token T] [--config examples/x/config.yaml]
      Serve the sample app (or an example) on a throwaway MariaDB that is
      deleted on exit. Needs MariaDB's binaries (mariadbd), not a server.
  retroscim serve [--config config.yaml] [--listen addr] [--dry-run]
      Serve the SCIM API described by the configuration file. With --dry-run
      (or server.dry_run: true) nothing is written: would-be changes are
      recorded for retroscim report.
  retroscim migrate [--config config.yaml]
      Create retroscim's own tables (tokens, audit, dry run) in the app's database or
      the schema named in store.schema. Never touches the app's tables.
  retroscim token create --tenant T --name okta-prod [--expires 8760h]
  retroscim token list | revoke <prefix|name> | rotate <prefix|name> [--grace 24h]
      Manage bearer tokens in retroscim's token table; a new token is shown once.
  retroscim token hash
      Read a bearer token on stdin and print the sha256 to put in
      auth.bearer_tokens[].sha256.
  retroscim audit [--since 1h] [--tenant T] [--type User|Group] [--id ID] [--json]
      Print the recorded writes.
  retroscim report [--since 24h] [--tenant T] [--format json]
      Print what a dry run would have changed: per tenant and kind of change,
      the attributes and columns, memberships, refusals, rows touched twice.
  retroscim check [--config config.yaml] [--format json]
      Check the mapping against the live schema (read-only): missing columns,
      types, lengths, collations, indexes, rows in scope. Exit 0 clean, 1
      errors, 2 warnings only.
  retroscim explain [--tenant T] [--body file] 'GET /Users?filter=userName eq "a@b.c"'
      Print the SQL a request becomes, in order, with EXPLAIN for each read.
      Nothing is written.
  retroscim introspect --dsn DSN --table users [--roles-table roles] [--members-table user_roles]
      Print a commented draft mapping for an existing table.
  retroscim help
      Show this text.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "demo":
		err = demo(ctx, args[1:], stdout, stderr)
	case "token":
		err = token(ctx, args[1:], stdin, stdout, stderr)
	case "migrate":
		err = migrate(ctx, args[1:], stdout, stderr)
	case "audit":
		err = audit(ctx, args[1:], stdout, stderr)
	case "report":
		err = reportDryRun(ctx, args[1:], stdout, stderr)
	case "check":
		err = check(ctx, args[1:], stdout, stderr)
	case "explain":
		err = explain(ctx, args[1:], stdin, stdout, stderr)
	case "introspect":
		err = introspect(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "retroscim: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	return report(err, stderr)
}

// usageError marks a command-line mistake (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func report(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ec exitCode
	if errors.As(err, &ec) {
		return int(ec)
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "retroscim: %s\n", ue.msg)
		return 2
	}
	var ces mapping.ConfigErrors
	if errors.As(err, &ces) {
		fmt.Fprintf(stderr, "retroscim: the configuration has %d problem(s):\n", len(ces))
		for _, e := range ces {
			fmt.Fprintf(stderr, "  %s\n", e)
		}
		return 1
	}
	fmt.Fprintf(stderr, "retroscim: %v\n", err)
	return 1
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("retroscim "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and rejects stray positional arguments.
// parseInterspersed parses flags that may come before, between or after
// positional arguments, and returns the positional ones in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usageError{msg: "see the flags above"}
			}
			return nil, usageError{msg: err.Error()}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usageError{msg: "see the flags above"}
		}
		return usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}
