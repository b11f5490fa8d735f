package defcheck

import (
	"strings"
	"testing"
	"testing/fstest"
)

const good = `Bootstrap: docker
From: golang:1.26

%files
    go.mod /src/go.mod
    go.sum /src/go.sum
    *.go /src/
    pkg /src/pkg
    vendor /src/vendor

%post
    go build ./...
`

func TestCheck(t *testing.T) {
	if p := Check([]byte(good)); len(p) != 0 {
		t.Errorf("good definition: %v", p)
	}
	for def, want := range map[string]string{
		"Bootstrap: dockr\n":                       "unknown bootstrap agent",
		"Bootstrap: docker\n%postt\n":              `unknown section "%postt" (did you mean "post"?)`,
		"Bootstrap: docker\n%post\nFrom: x\n":      `header keyword "From" inside section %post`,
		"From: x\n":                                "comes before the first Bootstrap",
		"Bootstrap: docker\n%appinstall\n":         "needs an app name",
		"Bootstrap: docker\nFrum: debian\n%post\n": `did you mean "from"?`,
	} {
		probs := Check([]byte(def))
		if len(probs) == 0 || !strings.Contains(probs[0].String(), want) {
			t.Errorf("Check(%q) = %v, want %q", def, probs, want)
		}
	}
}

func TestFiles(t *testing.T) {
	fs := Files([]byte(good + "\n%files from build\n    /a /b\n"))
	if len(fs) != 5 || fs[0].Src != "go.mod" || fs[0].Dst != "/src/go.mod" || fs[0].Line != 5 {
		t.Errorf("Files = %+v", fs)
	}
}

func TestCheckFiles(t *testing.T) {
	project := fstest.MapFS{
		"go.mod": {}, "go.sum": {}, "main.go": {}, "pkg/p.go": {}, "pkg/p_test.go": {},
		"extra/e.go": {}, "vendor/modules.txt": {}, "testdata/t.go": {}, "README.md": {},
	}
	probs, err := CheckFiles([]byte(good), project)
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 1 || !strings.Contains(probs[0].Msg, "leaves out package directory extra/") {
		t.Errorf("CheckFiles = %v", probs)
	}
	delete(project, "extra/e.go")
	bad := strings.Replace(good, "    pkg /src/pkg\n", "    ../sdk /sdk\n    nothere /x\n", 1)
	probs, _ = CheckFiles([]byte(bad), project)
	var msgs []string
	for _, p := range probs {
		msgs = append(msgs, p.Msg)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{`"../sdk" is outside the project`, `"nothere" does not exist`, "leaves out package directory pkg/"} {
		if !strings.Contains(all, want) {
			t.Errorf("CheckFiles lacks %q:\n%s", want, all)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	def := []byte(strings.Repeat(good, 50))
	for b.Loop() {
		Check(def)
	}
}
