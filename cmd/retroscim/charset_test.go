package main

import (
	"strings"
	"testing"

	"github.com/retroscim/retroscim/mapping"
)

// TestCheckCharset: a DSN whose character set would make serve refuse to
// start is an error finding of check, which still reports everything
// else; serve refuses with the same reason.
func TestCheckCharset(t *testing.T) {
	config := strings.Replace(checkConfig, `dsn: "${RETROSCIM_DSN}"`, `dsn: "${RETROSCIM_DSN}?charset=gbk"`, 1)
	code, rep, path := runCheck(t, checkSchema, config)
	if code != 1 || rep.Errors != 1 {
		t.Errorf("check with charset=gbk: exit %d, %d error(s); want exit 1 and 1 error", code, rep.Errors)
	}
	var found bool
	for _, f := range rep.Findings {
		if f.Check == "charset" {
			found = f.Severity == mapping.SevError && f.Key == "database.dsn" && strings.Contains(f.Message, "the DSN parameter charset=gbk")
			if !found {
				t.Errorf("charset finding = %+v", f)
			}
		}
	}
	if !found {
		t.Errorf("no charset finding in %+v", rep.Findings)
	}
	if len(rep.Scope) == 0 {
		t.Error("check stopped at the character set: no scope counts")
	}
	code, _, errOut := runCmd(t, "", "serve", "--config", path, "--listen", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errOut, "charset=gbk") {
		t.Errorf("serve with charset=gbk: exit %d, %s", code, errOut)
	}
}
