// Command retroscim serves SCIM 2.0 over an application's existing
// MySQL/MariaDB user tables, as described by a YAML mapping file.
//
//	retroscim demo
//	retroscim serve --config config.yaml
//	retroscim token hash < token.txt
//	retroscim completion bash|zsh|fish
//	retroscim version
//
// The commands are built with spf13/cobra (cli.go); each has its own
// constructor, next to what it does.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/retroscim/retroscim/mapping"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(&cliEnv{stdin: stdin, stdout: stdout, stderr: stderr})
	root.SetArgs(args)
	return report(root.ExecuteContext(ctx), stderr)
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
