// Command benchhttp measures retroscim from outside, side by side with a
// bare echo+sqlx handler that runs the same queries, over loopback against
// the 1M-user bench database (make bench-http).
//
//	benchhttp run [flags]     start the servers, drive them, print the report
//	benchhttp bare [flags]    the bare handler (run starts it; rarely by hand)
//
// One binary holds both the driver and the bare handler: run starts the
// bare handler by running its own executable again with "bare", so the
// handler and the driver always come from the same build and the handler
// is still a process of its own, whose CPU is read from /proc like
// retroscim's. retroscim itself is built from ./cmd/retroscim and started
// with "serve": the benchmark sees nothing of its insides.
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
)

const usage = `benchhttp measures retroscim side by side with a bare echo+sqlx handler.

Usage:
  benchhttp run [--pairs 7] [--duration 4s] [--conns 8] [--import 3000] ...
      Build and start retroscim serve and two bare handlers on the bench
      database, drive them over loopback, print per-pair and median ratios
      of server CPU per request and of throughput. See benchhttp run -h.
  benchhttp bare --dsn DSN --columns id,login,... [--listen 127.0.0.1:0]
      Serve the bare handler (run starts it; it prints "listening on ADDR").
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs one subcommand and returns the exit code: 0 done, 1 the
// benchmark failed (a server refused requests, a run went wrong), 2 a
// command-line mistake.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && (args[0] == "" || args[0][0] != '-') {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "run":
		err = runBench(ctx, args, stdout, stderr)
	case "bare":
		err = serveBare(ctx, args, stdout)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "benchhttp: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "benchhttp: %s\n", ue.msg)
		return 2
	}
	fmt.Fprintf(stderr, "benchhttp: %v\n", err)
	return 1
}

// usageError marks a command-line mistake (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// parseFlags parses args and rejects stray positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}
