package doctest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// minLiteral is how many fixed characters a message pattern needs, so
// that a pattern made mostly of placeholders ("%s: %v") matches nothing.
const minLiteral = 16

// wildcard stands for a value filled in at run time.
const wildcard = `(?s:.+?)`

// fmtVerb is a verb of a fmt format string.
var fmtVerb = regexp.MustCompile(`%[-+# 0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[a-zA-Z%]`)

// shellValue is an expansion in a shell or template line: $X, ${X}, $(…),
// make's $(X) and $$, and text/template's [[…]].
var shellValue = regexp.MustCompile(`\$\$?(?:\{[^}]*\}|\([^)]*\)|[A-Za-z_][A-Za-z0-9_]*)|\[\[[^\]]*\]\]`)

// messagePattern is one message the code can print, as a regular
// expression with its run-time values left open.
type messagePattern struct {
	re      *regexp.Regexp
	literal int // fixed characters
}

// pattern turns the pieces of a message into a messagePattern: fixed
// pieces (with their placeholders found by open) and, where a piece is
// "", a value computed at run time.
func pattern(pieces []string, open *regexp.Regexp, verbatim func(string) string) messagePattern {
	var b strings.Builder
	literal := 0
	for _, p := range pieces {
		if p == "" {
			b.WriteString(wildcard)
			continue
		}
		last := 0
		for _, m := range open.FindAllStringIndex(p, -1) {
			fixed := verbatim(p[last:m[0]])
			literal += len(fixed)
			b.WriteString(regexp.QuoteMeta(fixed))
			if p[m[0]:m[1]] == "%%" && open == fmtVerb {
				b.WriteString("%")
			} else {
				b.WriteString(wildcard)
			}
			last = m[1]
		}
		fixed := verbatim(p[last:])
		literal += len(fixed)
		b.WriteString(regexp.QuoteMeta(fixed))
	}
	return messagePattern{regexp.MustCompile(`^` + b.String() + `$`), literal}
}

// goMessages returns the string expressions of the Go code (a literal,
// or literals and values joined with +), as patterns.
func goMessages(t *testing.T, file string) []messagePattern {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var pieces func(e ast.Expr) []string
	pieces = func(e ast.Expr) []string {
		switch e := e.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(e.Value); err == nil && e.Kind == token.STRING {
				return []string{s}
			}
		case *ast.BinaryExpr:
			if e.Op == token.ADD {
				return append(pieces(e.X), pieces(e.Y)...)
			}
		case *ast.ParenExpr:
			return pieces(e.X)
		}
		return []string{""}
	}
	var out []messagePattern
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit, *ast.BinaryExpr:
			if p := pattern(pieces(n.(ast.Expr)), fmtVerb, func(s string) string { return s }); p.literal >= minLiteral {
				out = append(out, p)
			}
		}
		return true
	})
	return out
}

// shellEcho is a double-quoted echo in a shell script or template.
var shellEcho = regexp.MustCompile(`echo "((?:[^"\\]|\\.)*)"`)

// shellMessages returns the messages that the echo commands of a script
// or template print, as patterns.
func shellMessages(t *testing.T, file string) []messagePattern {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	unescape := strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\$`, `$`).Replace
	var out []messagePattern
	for _, m := range shellEcho.FindAllStringSubmatch(string(b), -1) {
		if p := pattern([]string{m[1]}, shellValue, unescape); p.literal >= minLiteral {
			out = append(out, p)
		}
	}
	return out
}

// codeMessages collects the messages of the code that users run: the Go
// code (not its tests) of the SDK, the CLI, the examples and internal
// tools, and the echo commands of the project templates.
func codeMessages(t *testing.T) []messagePattern {
	t.Helper()
	var out []messagePattern
	for _, top := range []string{"sdk", "cmd", "examples", "internal", "templates/common", "templates/minimal"} {
		err := filepath.WalkDir(filepath.Join(repoRoot, top), func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && (d.Name() == "testdata" || d.Name() == "_vendor"):
				return filepath.SkipDir
			case d.IsDir():
				return nil
			case strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go"):
				out = append(out, goMessages(t, path)...)
			case strings.HasSuffix(path, ".tmpl") || strings.HasSuffix(path, ".sh"):
				out = append(out, shellMessages(t, path)...)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// printed reports whether text is one of msgs with its values filled in.
func printed(msgs []messagePattern, text string) bool {
	for _, m := range msgs {
		if m.re.MatchString(text) || m.re.MatchString(text+"\n") { // Println, or a format ending in \n
			return true
		}
	}
	return false
}

// TestDocErrorTexts: every block of the documentation marked ```error
// quotes a message that the code prints (or one on each line), word for
// word, with its run-time values (numbers, names, wrapped errors) filled
// in.
func TestDocErrorTexts(t *testing.T) {
	msgs := codeMessages(t)
	if len(msgs) == 0 {
		t.Fatal("found no messages in the code")
	}
	quoted := blocksOf(t, "error")
	for _, b := range quoted {
		if printed(msgs, strings.Join(b.Lines, "\n")) {
			continue
		}
		for i, line := range b.Lines { // or several one-line messages
			if !printed(msgs, line) {
				t.Errorf("%s line %d: no message of the code reads\n%s", b.Doc, b.Line+1+i, line)
			}
		}
	}
	t.Logf("%d quoted messages checked against %d messages of the code", len(quoted), len(msgs))
}
