package main

import (
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// wantFlags is every command's flags with their defaults: a flag lost or
// renamed when a command changes breaks someone's script, so it fails here.
var wantFlags = map[string][]string{
	"retroscim audit":        {"config=config.yaml", "id=", "json=false", "limit=1000", "outcome=", "since=24h", "tenant=", "type="},
	"retroscim check":        {"config=config.yaml", "format=text"},
	"retroscim demo":         {"admin-listen=", "config=", "listen=127.0.0.1:8080", "token=", "v=false"},
	"retroscim explain":      {"body=", "config=config.yaml", "tenant="},
	"retroscim introspect":   {"dsn=", "members-table=", "roles-table=", "table="},
	"retroscim migrate":      {"config=config.yaml"},
	"retroscim serve":        {"config=config.yaml", "dry-run=false", "listen="},
	"retroscim report":       {"config=config.yaml", "format=text", "since=24h", "tenant="},
	"retroscim token create": {"config=config.yaml", "expires=", "name=", "tenant="},
	"retroscim token hash":   {},
	"retroscim token list":   {"config=config.yaml"},
	"retroscim token revoke": {"config=config.yaml"},
	"retroscim token rotate": {"config=config.yaml", "expires=", "grace="},
	"retroscim version":      {},
}

// ownCommands walks the command tree, leaving out what cobra adds itself
// (help, completion), and returns retroscim's commands by path.
func ownCommands(root *cobra.Command) map[string]*cobra.Command {
	out := map[string]*cobra.Command{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			if sub.HasSubCommands() {
				walk(sub)
				continue
			}
			out[sub.CommandPath()] = sub
		}
	}
	walk(root)
	return out
}

func TestCommandFlags(t *testing.T) {
	got := map[string][]string{}
	for path, c := range ownCommands(newRootCmd(&cliEnv{})) {
		flags := []string{}
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" {
				flags = append(flags, f.Name+"="+f.DefValue)
			}
		})
		sort.Strings(flags)
		got[path] = flags
	}
	if diff := cmp.Diff(wantFlags, got); diff != "" {
		t.Errorf("commands and flags (-want +got):\n%s", diff)
	}
}

// TestHelp asks every command, retroscim's and cobra's, for --help: it
// answers on stdout with exit 0, names its own command line and lists
// each of its flags.
func TestHelp(t *testing.T) {
	root := newRootCmd(&cliEnv{})
	paths := []string{"retroscim", "retroscim token", "retroscim completion", "retroscim completion bash", "retroscim help"}
	for path := range ownCommands(root) {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			args := append(strings.Fields(path)[1:], "--help")
			code, out, errOut := runCmd(t, "", args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if !strings.Contains(out, "Usage:\n  "+path) {
				t.Errorf("help does not show the usage of %q:\n%s", path, out)
			}
			for _, f := range wantFlags[path] {
				name, _, _ := strings.Cut(f, "=")
				if !strings.Contains(out, "--"+name) {
					t.Errorf("help does not list --%s:\n%s", name, out)
				}
			}
		})
	}
	// -h and help COMMAND say the same.
	_, want, _ := runCmd(t, "", "serve", "--help")
	for _, args := range [][]string{{"serve", "-h"}, {"help", "serve"}} {
		if code, out, _ := runCmd(t, "", args...); code != 0 || out != want {
			t.Errorf("%v: exit %d, output differs from serve --help:\n%s", args, code, out)
		}
	}
}

// TestFlagsAnywhere: flags may come before, between or after positional
// arguments, in --flag value and --flag=value forms.
func TestFlagsAnywhere(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		flags map[string]string
		pos   []string
	}{
		{[]string{"token", "rotate", "okta", "--grace", "24h"}, map[string]string{"grace": "24h", "config": "config.yaml"}, []string{"okta"}},
		{[]string{"token", "rotate", "--grace=24h", "okta", "--config", "c.yaml", "--expires", "365d"}, map[string]string{"grace": "24h", "config": "c.yaml", "expires": "365d"}, []string{"okta"}},
		{[]string{"token", "revoke", "--config", "c.yaml", "okta-prod"}, map[string]string{"config": "c.yaml"}, []string{"okta-prod"}},
		{[]string{"explain", "GET", "/Users", "--tenant", "2", "--body=-"}, map[string]string{"tenant": "2", "body": "-"}, []string{"GET", "/Users"}},
		{[]string{"check", "--format", "json", "--config=x.yaml"}, map[string]string{"format": "json", "config": "x.yaml"}, []string{}},
		{[]string{"demo", "-v", "--listen", ":0"}, map[string]string{"v": "true", "listen": ":0"}, []string{}},
		{[]string{"demo", "--v"}, map[string]string{"v": "true"}, []string{}},
		{[]string{"audit", "--json", "--limit", "5"}, map[string]string{"json": "true", "limit": "5"}, []string{}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			root := newRootCmd(&cliEnv{})
			c, rest, err := root.Find(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.ParseFlags(rest); err != nil {
				t.Fatal(err)
			}
			for name, want := range tc.flags {
				if got := c.Flags().Lookup(name).Value.String(); got != want {
					t.Errorf("--%s = %q, want %q", name, got, want)
				}
			}
			if got := c.Flags().Args(); !slices.Equal(got, tc.pos) {
				t.Errorf("arguments %q, want %q", got, tc.pos)
			}
		})
	}
}

// TestUsageErrors: every mistake on the command line exits 2 with a
// message on stderr, before anything is opened or started.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Available Commands:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate" for "retroscim"`},
		{[]string{"serv"}, "did you mean serve?"},
		{[]string{"--nope"}, "unknown flag: --nope"},
		{[]string{"serve", "--nope"}, "unknown flag: --nope\nRun 'retroscim serve --help' for usage."},
		{[]string{"serve", "extra"}, `unexpected argument "extra"`},
		{[]string{"check", "--format", "yaml"}, "--format is text or json"},
		{[]string{"check", "--format"}, "flag needs an argument: --format"},
		{[]string{"token"}, "Available Commands:"},
		{[]string{"token", "frob"}, `unknown command "frob" for "retroscim token"`},
		{[]string{"token", "revoke"}, "name the token by its prefix or name"},
		{[]string{"token", "rotate", "a", "b"}, `one token at a time: unexpected argument "b"`},
		{[]string{"token", "create", "--tenant", "1"}, "--name is required"},
		{[]string{"token", "list", "extra"}, `unexpected argument "extra"`},
		{[]string{"introspect", "--table", "users"}, "usage: retroscim introspect --dsn DSN --table users"},
		{[]string{"demo", "--token", "short"}, "--token must be at least 16 characters long"},
		{[]string{"audit", "--limit", "many"}, `invalid argument "many" for "--limit"`},
		{[]string{"version", "extra"}, `unexpected argument "extra"`},
		{[]string{"explain", "--config", "../../config.yaml"}, "usage: retroscim explain"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runCmd(t, "", tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}

func TestCompletion(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"completion", "bash"}, []string{"__start_retroscim", "complete -o default -F __start_retroscim retroscim"}},
		{[]string{"completion", "zsh"}, []string{"#compdef retroscim"}},
		{[]string{"completion", "fish"}, []string{"complete -c retroscim"}},
		// What the scripts ask the binary for, as the shell would.
		{[]string{"__complete", "ser"}, []string{"serve\t"}},
		{[]string{"__complete", "token", "r"}, []string{"revoke\t", "rotate\t"}},
		{[]string{"__complete", "check", "--format", ""}, []string{"text\n", "json\n"}},
		{[]string{"__complete", "audit", "--outcome", ""}, []string{"committed\n", "refused\n", "failed\n"}},
		{[]string{"__complete", "serve", "--config", ""}, []string{"yaml\n", "yml\n"}},
		{[]string{"__complete", "token", "rotate", "--"}, []string{"--grace\t", "--expires\t", "--config\t"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runCmd(t, "", tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCmd(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "retroscim ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"no build information", nil, "retroscim (no build information)"},
		{"a tagged install", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "3aa58b4c0ffee"}, {Key: "vcs.time", Value: "2026-12-01T23:32:01Z"}, {Key: "vcs.modified", Value: "false"},
		}}, "retroscim v1.4.0\ncommit 3aa58b4c0ffee (2026-12-01T23:32:01Z)\ngo1.26.0"},
		{"a checkout with changes", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20261201233201-3aa58b4c0ffe+dirty"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "3aa58b4c0ffee"}, {Key: "vcs.modified", Value: "true"},
		}}, "retroscim v0.0.0-20261201233201-3aa58b4c0ffe+dirty\ncommit 3aa58b4c0ffee, with uncommitted changes\ngo1.26.0"},
		{"built without VCS stamping", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}},
			"retroscim (devel)\ncommit unknown (built without VCS information, as with -buildvcs=false or outside a checkout)\ngo1.26.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionText(tc.info); got != tc.want {
				t.Errorf("versionText =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
