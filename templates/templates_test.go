package templates

import (
	"io/fs"
	"path"
	"strings"
	"testing"
)

// needBundle fails the test when the package was built without the module
// bundle.
func needBundle(t *testing.T) {
	t.Helper()
	if !HasBundle() {
		t.Fatal("no module bundle in templates/_bundle: run `make build` (or go generate ./templates) first")
	}
}

// TestList: every listed template has a description and a main.go, and
// the bundle brings the templates made from examples.
func TestList(t *testing.T) {
	needBundle(t)
	list := List()
	names := map[string]bool{}
	for _, tp := range list {
		names[tp.Name] = true
		if tp.Description == "" {
			t.Errorf("template %s has no description", tp.Name)
		}
		found := false
		for _, dir := range Dirs(tp.Name) {
			for _, f := range []string{"main.go.tmpl", "main.go.raw"} {
				if _, err := fs.Stat(files, path.Join(dir, f)); err == nil {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("template %s has no main.go.tmpl or main.go.raw in %v", tp.Name, Dirs(tp.Name))
		}
	}
	for _, want := range []string{"minimal", "montecarlo", "mapreduce", "sweep"} {
		if !names[want] {
			t.Errorf("List() = %v lacks %s", list, want)
		}
	}
}

// TestVendorOf: a template's vendor/ holds its modules.txt and the SDK.
func TestVendorOf(t *testing.T) {
	needBundle(t)
	vendor, err := VendorOf("minimal")
	if err != nil {
		t.Fatal(err)
	}
	has := map[string]bool{}
	for _, v := range vendor {
		has[v.Path] = true
	}
	for _, want := range []string{"vendor/modules.txt", "vendor/github.com/mpichan/mpichan/sdk/channel.go"} {
		if !has[want] {
			t.Errorf("VendorOf(minimal) lacks %s", want)
		}
	}
	for p := range has {
		if strings.Contains(p, "/jobkit/") {
			t.Errorf("VendorOf(minimal) has %s, which minimal does not import", p)
		}
	}
}

// TestCovering: the template with the fewest packages that vendors every
// import wins; an import no template vendors gives "".
func TestCovering(t *testing.T) {
	needBundle(t)
	const sdk = "github.com/mpichan/mpichan/sdk"
	for _, c := range []struct {
		imports []string
		want    string
	}{
		{[]string{sdk}, "minimal"},
		{nil, "minimal"},
		{[]string{sdk, "gonum.org/v1/plot"}, "sweep"},
		{[]string{sdk, "example.com/nowhere"}, ""},
	} {
		if got := Covering(c.imports); got != c.want {
			t.Errorf("Covering(%v) = %q, want %q", c.imports, got, c.want)
		}
	}
}
