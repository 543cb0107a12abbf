package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// cliEnv is what every command reads and writes: the process's standard
// streams (buffers in tests).
type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// commands builds retroscim's subcommands (help lists them by name).
// A new subcommand is one file with one constructor, listed here.
var commands = []func(*cliEnv) *cobra.Command{
	newDemoCmd,
	newServeCmd,
	newMigrateCmd,
	newTokenCmd,
	newAuditCmd,
	newReportCmd,
	newCheckCmd,
	newExplainCmd,
	newIntrospectCmd,
	newVersionCmd,
}

const rootLong = `retroscim serves SCIM 2.0 over an application's own MySQL/MariaDB tables,
as described by a YAML mapping (config.yaml).

Exit codes: 0 success, 1 failure (a configuration problem, the database),
2 a mistake on the command line; check also exits 2 for warnings only.`

const rootExample = `  retroscim demo
  retroscim serve --config config.yaml
  retroscim check --config config.yaml
  retroscim explain 'GET /Users?filter=userName eq "a@b.c"'
  retroscim token create --tenant 1 --name okta-prod --expires 8760h
  retroscim token hash < token.txt
  retroscim completion bash > /etc/bash_completion.d/retroscim`

// newRootCmd builds the whole command tree. It is built anew for every
// run, so that flag values never leak from one run (or test) to the next.
func newRootCmd(env *cliEnv) *cobra.Command {
	root := &cobra.Command{
		Use:           "retroscim",
		Short:         "Serve SCIM 2.0 over an application's own MySQL/MariaDB tables",
		Long:          rootLong,
		Example:       rootExample,
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return unknownCommand(cmd, args, env.stderr)
		},
	}
	root.SetIn(env.stdin)
	root.SetOut(env.stdout)
	root.SetErr(env.stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{msg: fmt.Sprintf("%v\nRun '%s --help' for usage.", err, cmd.CommandPath())}
	})
	for _, c := range commands {
		root.AddCommand(c(env))
	}
	return root
}

// unknownCommand answers a command (root or token) run without a known
// subcommand: the usage on stderr with no arguments, else the mistake,
// both exit 2.
func unknownCommand(cmd *cobra.Command, args []string, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, cmd.UsageString())
		return exitCode(2)
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageError{msg: fmt.Sprintf("%s\nRun '%s --help' for usage.", msg, cmd.CommandPath())}
}

// noArgs refuses positional arguments, as a usage error (exit 2).
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", args[0])}
	}
	return nil
}

// configFlag adds --config, the configuration file most commands read,
// completed with YAML file names.
func configFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "config", "config.yaml", "configuration file")
	_ = cmd.MarkFlagFilename("config", "yaml", "yml")
}

// completeValues completes a flag with a fixed set of values.
func completeValues(cmd *cobra.Command, flag string, values ...string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}
