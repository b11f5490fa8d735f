// Command tplsync makes the generated parts of mpichan-init's templates
// (see package tplsync); run it with `go generate ./templates`.
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
	flag.StringVar(&d.Templates, "templates", ".", "templates directory")
	flag.Parse()
	skipped, err := tplsync.Sync(d)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tplsync:", err)
		os.Exit(1)
	}
	for _, s := range skipped {
		fmt.Fprintln(os.Stderr, "tplsync: skipped", s)
	}
}
