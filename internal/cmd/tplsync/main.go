// Command tplsync makes mpichan-init's module bundle (see package tplsync);
// `go generate ./templates` runs it, and `make build` runs that.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/mpichan/mpichan/internal/tplsync"
)

func main() {
	var d tplsync.Dirs
	flag.StringVar(&d.Examples, "examples", "../examples", "examples directory")
	flag.StringVar(&d.SDK, "sdk", "../sdk", "SDK directory")
	flag.StringVar(&d.Templates, "templates", ".", "templates directory (hand-written templates)")
	flag.StringVar(&d.Out, "out", "_bundle", "bundle directory, written")
	flag.Parse()
	skipped, changed, err := tplsync.Sync(d)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tplsync:", err)
		os.Exit(1)
	}
	for _, s := range skipped {
		fmt.Fprintln(os.Stderr, "tplsync: skipped", s)
	}
	if changed {
		fmt.Println("tplsync: wrote the module bundle", d.Out)
	}
}
