package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func newVersionCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print retroscim's version and the commit it was built from",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			info, _ := debug.ReadBuildInfo()
			fmt.Fprintln(env.stdout, versionText(info))
			return nil
		},
	}
}

// versionText describes a build from its build information: the module
// version (a tag for go install ...@v1.2.3, "(devel)" for a build from a
// checkout), the VCS commit and whether the tree had changes, and the Go
// toolchain.
func versionText(info *debug.BuildInfo) string {
	if info == nil {
		return "retroscim (no build information)"
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	var b strings.Builder
	fmt.Fprintf(&b, "retroscim %s", version)
	if rev := settings["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, "\ncommit %s", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, " (%s)", t)
		}
		if settings["vcs.modified"] == "true" {
			b.WriteString(", with uncommitted changes")
		}
	} else {
		b.WriteString("\ncommit unknown (built without VCS information, as with -buildvcs=false or outside a checkout)")
	}
	fmt.Fprintf(&b, "\n%s", info.GoVersion)
	return b.String()
}
