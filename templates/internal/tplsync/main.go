// Command tplsync makes templates from examples (see templates.Sync); run
// it with `go generate ./templates`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/mpichan/mpichan/templates"
)

func main() {
	examples := flag.String("examples", "../examples", "examples directory")
	dir := flag.String("templates", ".", "templates directory")
	flag.Parse()
	skipped, err := templates.Sync(*examples, *dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tplsync:", err)
		os.Exit(1)
	}
	for _, s := range skipped {
		fmt.Fprintln(os.Stderr, "tplsync: skipped", s)
	}
}
