package listcodec

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// phpUnserialize is the PHP program TestPHPAgrees runs: for each base64
// line on stdin it prints "ok" and the array's string keys (base64, in
// order) when unserialize() returns an array, "no" otherwise. Only the
// classes the samples name may be instantiated; others come back as
// incomplete classes.
const phpUnserialize = `
enum Suit { case Hearts; }
while (($line = fgets(STDIN)) !== false) {
	try {
		$v = @unserialize(base64_decode(trim($line)), ['allowed_classes' => ['stdClass', 'ArrayObject', 'Suit']]);
	} catch (Throwable $e) { // a class refusing its own data (C:)
		$v = false;
	}
	if (!is_array($v)) { echo "no\n"; continue; }
	$keys = array_values(array_filter(array_keys($v), 'is_string'));
	echo "ok ", json_encode(array_map('base64_encode', $keys)), "\n";
}`

// TestPHPAgrees checks the codec against PHP's own unserialize(): every
// value it reads PHP reads too, with the same string keys in the same
// order, and every value Add and Remove write is one PHP reads with the
// keys expected. It needs a php binary on PATH (Debian: php-cli) and is
// skipped without one.
func TestPHPAgrees(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("no php on PATH (apt-get install php-cli): the codec is not checked against PHP's unserialize")
	}
	inputs := []string{"a:0:{}", wpAdministrator, wpSubscriber, wpEditorReports, wpUserRoles, phpEveryValue,
		`a:1:{s:4:"Zoë";b:1;}`, `a:2:{s:6:"editor";b:0;s:6:"author";b:1;}`, `a:2:{s:6:"editor";b:1;s:6:"editor";b:0;}`,
		`a:2:{i:0;s:6:"editor";i:1;b:1;}`, `a:1:{S:6:"\65ditor";b:1;}`, `a:1:{s:3:"a;b";s:7:"x";s:1:";}`,
		`a:1:{s:1:"x";d:1.;}`, `a:1:{s:1:"x";d:.5e-3;}`, `a:1:{s:1:"x";i:+5;}`, `a:01:{s:1:"x";b:1;}`, `a:1:{i:007;b:1;}`,
		`a:2:{s:1:"r";R:1;s:1:"x";b:1;}`, `a:2:{s:1:"x";a:0:{}s:1:"r";R:2;}`,
		`a:3:{s:1:"o";O:8:"stdClass":0:{}s:1:"h";r:2;s:1:"p";R:2;}`, `a:2:{s:1:"x";O:8:"stdClass":0:{}s:1:"o";a:1:{i:0;r:2;}}`}
	for _, m := range phpMalformed {
		inputs = append(inputs, m.raw)
	}
	inputs = append(inputs, fuzzInputs(t, "testdata/fuzz/FuzzPHPArrayKeys")...)
	var outputs []string
	var wantKeys [][]string
	for _, raw := range inputs {
		for _, names := range [][]string{{"editor"}, {"Zoë", "administrator"}, {"x"}, {`a"b;}`}} {
			for _, edit := range []func(string, []string) (string, error){PHPArrayKeys{}.Add, PHPArrayKeys{}.Remove} {
				out, err := edit(raw, names)
				if err != nil {
					continue
				}
				keys, err := PHPArrayKeys{}.Entries(out)
				if err != nil {
					t.Fatalf("Entries(%q), an edit of %q: %v", out, raw, err)
				}
				outputs = append(outputs, out)
				wantKeys = append(wantKeys, keys)
			}
		}
	}

	all := append(slices.Clone(inputs), outputs...)
	got := runPHP(t, php, all)
	for i, raw := range inputs {
		ours, err := PHPArrayKeys{}.Entries(raw)
		switch {
		case err != nil && got[i] != nil:
			// Known differences: PHP ignores text after the array; we do not.
			if !strings.Contains(err.Error(), "text after the serialized array") {
				t.Errorf("PHP reads %q (keys %q), the codec refuses it: %v", raw, got[i], err)
			}
		case err == nil && got[i] == nil && raw != "": // "" is the empty list here; unserialize() refuses it
			t.Errorf("the codec reads %q (entries %q), PHP's unserialize refuses it", raw, ours)
		case err == nil && !slices.Equal(phpStringKeys(ours), got[i]):
			t.Errorf("%q: the codec's entries %q, PHP's string keys %q", raw, ours, got[i])
		}
	}
	for j, out := range outputs {
		g := got[len(inputs)+j]
		if g == nil {
			t.Errorf("PHP's unserialize refuses %q, which the codec wrote", out)
		} else if !slices.Equal(phpStringKeys(wantKeys[j]), g) {
			t.Errorf("PHP reads %q with keys %q, want %q", out, g, wantKeys[j])
		}
	}
	t.Logf("%d values read and %d edits written checked against %s", len(inputs), len(outputs), php)
}

// phpStringKeys drops the names PHP turns into integer keys.
func phpStringKeys(names []string) []string {
	var out []string
	for _, n := range names {
		if !isPHPIntKey(n) {
			out = append(out, n)
		}
	}
	return out
}

// runPHP unserializes each value in PHP and returns its string keys (nil
// where PHP refuses the value, an empty non-nil slice for an empty array).
func runPHP(t *testing.T, php string, values []string) [][]string {
	t.Helper()
	var in bytes.Buffer
	for _, v := range values {
		in.WriteString(base64.StdEncoding.EncodeToString([]byte(v)) + "\n")
	}
	cmd := exec.Command(php, "-n", "-r", phpUnserialize)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("php: %v", err)
	}
	var res [][]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "no" {
			res = append(res, nil)
			continue
		}
		var enc []string
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "ok ")), &enc); err != nil {
			t.Fatalf("php printed %q: %v", line, err)
		}
		keys := []string{}
		for _, e := range enc {
			b, err := base64.StdEncoding.DecodeString(e)
			if err != nil {
				t.Fatalf("php printed %q: %v", line, err)
			}
			keys = append(keys, string(b))
		}
		res = append(res, keys)
	}
	if len(res) != len(values) {
		t.Fatalf("php answered %d of %d values", len(res), len(values))
	}
	return res
}

// fuzzInputs returns the first argument of each fuzz input saved in dir.
func fuzzInputs(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "string(") {
			t.Fatalf("%s: not a fuzz input with a string first", f)
		}
		v, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, v)
	}
	return out
}
