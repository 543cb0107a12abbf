package mapping

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/retroscim/retroscim/legacy/sqlstmt"
	"github.com/retroscim/retroscim/mapping/filter"
)

// compileUncached is CompileFilter without the filter cache: parse, then
// compile the tree.
func compileUncached(r *Resource, src string) (sqlstmt.Pred, error) {
	e, err := parseFilter(src)
	if err != nil {
		return sqlstmt.Pred{}, err
	}
	return r.Compile(e)
}

// sameCompile fails the test unless CompileFilter(src) and the uncached
// compile agree: the same SQL, arguments and constness, or the same error.
func sameCompile(t *testing.T, r *Resource, src string) {
	t.Helper()
	want, wantErr := compileUncached(r, src)
	got, gotErr := r.CompileFilter(src)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("CompileFilter(%q) error %v, uncached %v", src, gotErr, wantErr)
	}
	if wantErr != nil {
		var g, w *FilterError
		if !errors.As(gotErr, &g) || !errors.As(wantErr, &w) || *g != *w {
			t.Fatalf("CompileFilter(%q) error %#v, uncached %#v", src, gotErr, wantErr)
		}
		return
	}
	if !got.Same(want) || got.SQL() != want.SQL() || !cmp.Equal(got.Args(), want.Args()) {
		t.Fatalf("CompileFilter(%q) = %s %v, uncached %s %v", src, got.SQL(), got.Args(), want.SQL(), want.Args())
	}
}

// cacheColumns are column setups the cached SQL must follow: the sample
// table, case-sensitive and binary columns, a text id.
var cacheColumns = map[string]func([]Column){
	"sample": nil,
	"case-sensitive": func(cols []Column) {
		for i := range cols {
			switch cols[i].Name {
			case "login", "okta_id":
				cols[i].Collation = "utf8mb4_bin"
			case "email":
				cols[i].DataType, cols[i].Charset, cols[i].Collation = "varbinary", "", ""
			}
		}
	},
	"text id": func(cols []Column) {
		cols[0] = ci("id", 36, false)
	},
}

// TestFilterCacheSameAsCompile compiles each filter, then the same shape
// with other literals, and checks every answer against the uncached
// compile: the first compile of a shape learns it, the others bind it.
func TestFilterCacheSameAsCompile(t *testing.T) {
	filters := []string{
		`userName eq "Alice@Example.com"`, `USERNAME EQ "a"`, `userName Eq "a"`, `  userName   eq   "a"  `,
		`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"`,
		`userName ne "a"`, `userName co "ali"`, `userName sw "ali"`, `userName ew "@x.io"`, `userName co "50%_off!"`,
		`userName gt "m"`, `userName ge "m"`, `userName lt "m"`, `userName le "m"`,
		`(userName eq "a")`, `((userName eq "a"))`, `not (userName eq "a")`,
		`userName eq "a" and title pr`, `title pr and userName eq "a"`, `userName eq "a" or userName eq "b"`,
		`externalId eq "00uAbC"`, `externalId sw "00u"`, `externalId CO "Ab"`,
		`id eq "42"`, `id eq "42abc"`, `id ne "7"`, `id sw "4"`, `id eq 42`,
		`name.givenName eq "Bo"`, `name.familyName ew "son"`, `displayName eq "Bo Li"`,
		`emails co "@x.io"`, `emails.value eq "a@x.io"`, `emails eq "a@x.io"`,
		`emails[type eq "work"]`, `emails[type eq "work"].value eq "a@x.io"`, `emails[value eq "a@x.io"]`,
		`emails.type eq "home"`, `emails.type eq "other"`, `emails[type eq "other"]`,
		`department eq "Eng"`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department sw "E"`,
		`pantherRole eq "Admin"`, `employeeNumber eq "007"`,
		`badge eq "5"`, `badge gt "x"`, `contractor eq "true"`,
		`active eq "True"`, `active eq "no"`, `active ne "false"`,
		`meta.lastModified gt "2024-05-13T04:42:34Z"`, `meta.created le "not a time"`,
		`meta.resourceType eq "User"`, `meta.resourceType eq "Group"`,
		// Errors: the same message at the same position.
		`nickName eq "x"`, `password eq "x"`, `name eq "x"`, `name.nope eq "x"`, `userName.first eq "x"`,
		`userName eq "a" junk`, `userName eq "a" and`, `userName zz "a"`, `userName "a"`, `"a"`, `eq "a"`,
		`userName eq "a`, `userName eq "a"]`, `userName[type eq "x"]`, `userName gt null`,
		`title pr and nickName eq "x"`, `emails[display eq "x"]`,
	}
	literals := []string{"a", "Bob@Example.COM", "", " ", "josé ", "50%_off!", "x' OR '1'='1", "日本語", "a\u00a0b", "42", "true", "2024-05-13T04:42:34Z", "User"}
	for name, change := range cacheColumns {
		t.Run(name, func(t *testing.T) {
			r := boundUsers(t, change)
			for _, f := range filters {
				for range 2 {
					sameCompile(t, r, f)
				}
				shape, _, ok := splitShape(f)
				if !ok {
					continue
				}
				for _, lit := range literals {
					sameCompile(t, r, shape.prefix+lit+shape.suffix)
				}
				// Literals the cache does not bind: escapes, control
				// characters, a quote, invalid UTF-8.
				for _, raw := range []string{`a\"b`, `\u0041`, `a\\`, "a\tb", "a\x00", "\xff", `a"b`} {
					sameCompile(t, r, shape.prefix+raw+shape.suffix)
				}
			}
		})
	}
}

// TestFilterCacheListQuery checks the statements of lists whose filter
// the cache holds against those built from the uncached compile, for
// every tenant: the scope, the tenant and the filter in the same order
// with the same arguments.
func TestFilterCacheListQuery(t *testing.T) {
	write, err := Parse("write.yaml", mustRead(t, "testdata/write.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	resources := map[string]*Resource{"users.yaml": boundUsers(t, nil), "write.yaml (tenant, unbound)": write.Users}
	filters := []string{
		`userName eq "a"`, `userName co "a"`, `USERNAME ne "a"`, `emails.value eq "a"`, `externalId sw "a"`,
		`title eq "a"`, `nickName eq "a"`, `displayName ew "a"`, `pantherRole eq "a"`, `level eq "1"`,
		`hired gt "2024-01-01T00:00:00Z"`, `id eq "1"`, `active eq "true"`, `nope eq "a"`, `(userName eq "a")`,
	}
	for name, r := range resources {
		t.Run(name, func(t *testing.T) {
			for _, f := range filters {
				shape, _, _ := splitShape(f)
				for _, lit := range []string{"a", "b@x.io", "50%", "1", ""} {
					src := shape.prefix + lit + shape.suffix
					for _, tenant := range []string{"1", "2", "x", ""} {
						for range 2 {
							got, gotErr := r.ListQuery(ListRequest{Filter: src}, tenant)
							fp, wantErr := compileUncached(r, src)
							if (gotErr == nil) != (wantErr == nil) {
								t.Fatalf("ListQuery(%q, %q) error %v, uncached %v", src, tenant, gotErr, wantErr)
							}
							if wantErr != nil {
								continue
							}
							want := sqlstmt.Select{Columns: r.selectExprs, From: sqlstmt.Ident(r.Table), Where: sqlstmt.And(r.ScopePredicate(tenant), r.bindTenant(fp, tenant))}
							want.Order, _ = r.Order("", false)
							gs, ga := got.SQL()
							ws, wa := want.SQL()
							if gs != ws || !cmp.Equal(ga, wa) || !got.Where.Same(want.Where) {
								t.Fatalf("ListQuery(%q, %q) = %s %v, uncached %s %v", src, tenant, gs, ga, ws, wa)
							}
						}
					}
				}
			}
		})
	}
}

// TestFilterCacheLearns shows which shapes the cache keeps: comparisons
// of plain text columns, not those whose SQL depends on the literal.
func TestFilterCacheLearns(t *testing.T) {
	tests := []struct {
		filter string
		cached bool
	}{
		{`userName eq "a"`, true},
		{`USERNAME EQ "a"`, true},
		{`userName co "a"`, true},
		{`userName ne "a"`, true},
		{`userName gt "a"`, true},
		{`(userName eq "a")`, true},
		{`externalId eq "a"`, true},
		{`emails.value eq "a"`, true},
		{`department eq "a"`, true},
		{`id eq "42"`, false},   // an integer key parses the literal
		{`badge eq "5"`, false}, // an integer attribute
		{`active eq "true"`, false},
		{`meta.created gt "2024-05-13T04:42:34Z"`, false},
		{`meta.resourceType eq "User"`, false}, // a constant
		{`emails.type eq "work"`, false},       // a constant per entry
		{`emails[type eq "work"]`, false},      // not a single comparison
		{`emails[type eq "work"].value eq "a"`, false},
		{`userName eq "a" and title pr`, false},
		{`not (userName eq "a")`, false},
		{`nickName eq "a"`, false}, // an error
		{`userName eq "a\"b"`, false},
	}
	r := boundUsers(t, nil)
	for _, tt := range tests {
		r.filters = newFilterCache()
		if _, err := r.CompileFilter(tt.filter); err != nil && tt.cached {
			t.Fatalf("CompileFilter(%q): %v", tt.filter, err)
		}
		if got := r.filters.lru.Len() == 1; got != tt.cached {
			t.Errorf("CompileFilter(%q) cached %v, want %v", tt.filter, got, tt.cached)
		}
		if shape, _, ok := splitShape(tt.filter); ok && tt.cached {
			if tmpl, _ := r.filters.get(shape); tmpl == nil || tmpl.whereSlots == nil {
				t.Errorf("CompileFilter(%q) cached no list predicate", tt.filter)
			}
		}
	}
}

// TestFilterCacheRenewedByBind shows that a shape learnt before Bind is
// not used after it: the column facts decide the SQL.
func TestFilterCacheRenewedByBind(t *testing.T) {
	cfg := loadTestConfig(t)
	before, err := cfg.Users.CompileFilter(`userName eq "a"`)
	if err != nil {
		t.Fatal(err)
	}
	cols := sampleColumns()
	cacheColumns["case-sensitive"](cols)
	if err := cfg.Bind(map[string][]Column{"users": cols}); err != nil {
		t.Fatal(err)
	}
	after, err := cfg.Users.CompileFilter(`userName eq "b"`)
	if err != nil {
		t.Fatal(err)
	}
	if before.SQL() == after.SQL() {
		t.Fatalf("the same SQL before and after binding a case-sensitive column: %s", after.SQL())
	}
	sameCompile(t, cfg.Users, `userName eq "c"`)
}

func TestSplitShape(t *testing.T) {
	tests := []struct {
		src            string
		prefix, suffix string
		lit            string
		ok             bool
	}{
		{`userName eq "a@b.c"`, `userName eq "`, `"`, "a@b.c", true},
		{`userName eq ""`, `userName eq "`, `"`, "", true},
		{`(userName eq "x") `, `(userName eq "`, `") `, "x", true},
		{`emails[type eq "work"].value eq "a"`, `emails[type eq "`, `"].value eq "a"`, "work", true},
		{`userName pr`, "", "", "", false},
		{`userName eq "a`, "", "", "", false},
		{`userName eq "a\"b"`, "", "", "", false},
		{"userName eq \"a\tb\"", "", "", "", false},
		{"userName eq \"\xff\"", "", "", "", false},
		{`userName eq "` + strings.Repeat("a", filter.MaxLength) + `"`, "", "", "", false},
	}
	for _, tt := range tests {
		s, lit, ok := splitShape(tt.src)
		if ok != tt.ok || s.prefix != tt.prefix || s.suffix != tt.suffix || lit != tt.lit {
			t.Errorf("splitShape(%q) = %q %q %q %v, want %q %q %q %v", tt.src, s.prefix, s.suffix, lit, ok, tt.prefix, tt.suffix, tt.lit, tt.ok)
		}
	}
}

// FuzzFilterCache compiles a filter, then the same filter with its first
// literal replaced, and checks both against the uncached compile.
func FuzzFilterCache(f *testing.F) {
	for _, s := range []struct{ src, lit string }{
		{`userName eq "a"`, "b"}, {`userName co "a"`, "50%"}, {`externalId sw "00u"`, "x"},
		{`emails.value eq "a@x.io"`, "b@y.io"}, {`id eq "1"`, "2x"}, {`active eq "true"`, "false"},
		{`meta.created gt "2024-01-01T00:00:00Z"`, "x"}, {`(userName ne "a") `, " "},
		{`emails[type eq "work"].value eq "a"`, "home"}, {`badge eq "1"`, "1.5"},
	} {
		f.Add(s.src, s.lit)
	}
	r := func() *Resource {
		cfg, err := Parse("users.yaml", mustRead(f, "testdata/users.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		if err := cfg.Bind(map[string][]Column{"users": sampleColumns()}); err != nil {
			f.Fatal(err)
		}
		return cfg.Users
	}()
	f.Fuzz(func(t *testing.T, src, lit string) {
		sameCompile(t, r, src)
		if shape, _, ok := splitShape(src); ok && utf8.ValidString(lit) {
			sameCompile(t, r, shape.prefix+lit+shape.suffix)
		}
	})
}

// BenchmarkListQueryUserName is the statement of Okta's lookup, from
// the cache (every lookup but a shape's first) and compiled afresh.
func BenchmarkListQueryUserName(b *testing.B) {
	cfg, err := Parse("write.yaml", mustRead(b, "testdata/write.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	r := cfg.Users
	req := ListRequest{Filter: `userName eq "user0001234@bench.test"`}
	for _, cached := range []bool{true, false} {
		b.Run(map[bool]string{true: "cached", false: "uncached"}[cached], func(b *testing.B) {
			if !cached {
				keep := r.filters
				r.filters = nil
				defer func() { r.filters = keep }()
			}
			b.ReportAllocs()
			for b.Loop() {
				q, err := r.ListQuery(req, "1")
				if err != nil {
					b.Fatal(err)
				}
				q.SQL()
			}
		})
	}
}

// TestFilterCacheLastShape: the shape found last is answered from its
// own slot, and switching between shapes answers each with its own
// template, the one the LRU holds.
func TestFilterCacheLastShape(t *testing.T) {
	r := boundUsers(t, nil)
	r.filters = newFilterCache()
	filters := []string{`userName eq "a"`, `externalId eq "b"`, `userName eq "c"`, `externalId eq "d"`, `userName eq "e"`}
	for _, f := range filters {
		if _, err := r.CompileFilter(f); err != nil {
			t.Fatalf("CompileFilter(%q): %v", f, err)
		}
	}
	if n := r.filters.lru.Len(); n != 2 {
		t.Fatalf("%d shapes cached, want 2", n)
	}
	for _, f := range append(filters, filters[0], filters[0]) {
		shape, _, ok := splitShape(f)
		if !ok {
			t.Fatalf("splitShape(%q) failed", f)
		}
		got, ok := r.filters.get(shape)
		want, _ := r.filters.lru.Peek(shape)
		if !ok || got != want || got == nil {
			t.Errorf("get(%q) = %p, %v; the LRU holds %p", f, got, ok, want)
		}
		if last := r.filters.last.Load(); last == nil || last.shape != shape {
			t.Errorf("after get(%q) the last shape is %+v", f, last)
		}
	}
}
