// Command defsection prints one part of a single-stage Apptainer
// definition file, for apptainer/build.sh, which builds an image the way
// `apptainer build` would without Apptainer:
//
//	defsection FILE header KEY     the header keyword's value (Bootstrap, From, ...)
//	defsection FILE section NAME   the body of %NAME as written (nothing if absent)
//	defsection FILE files          the %files entries, one "SRC DST" a line
//
// It refuses a file that defcheck finds problems in, or that has more
// than one stage.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/mpichan/mpichan/cmd/mpichan-init/internal/defcheck"
)

func main() {
	out, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "defsection:", err)
		os.Exit(1)
	}
	fmt.Print(out)
}

// run returns what the arguments ask for, ending in a newline unless empty.
func run(args []string) (string, error) {
	if len(args) < 2 {
		return "", fmt.Errorf("usage: defsection FILE header KEY | section NAME | files")
	}
	file, what := args[0], args[1]
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	if probs := defcheck.Check(data); len(probs) > 0 {
		return "", fmt.Errorf("%s: %s", file, probs[0])
	}
	stages := defcheck.Parse(data)
	if len(stages) != 1 {
		return "", fmt.Errorf("%s has %d stages; only single-stage definitions are supported", file, len(stages))
	}
	st := stages[0]
	switch {
	case what == "header" && len(args) == 3:
		v, ok := st.Header[strings.ToLower(args[2])]
		if !ok {
			return "", fmt.Errorf("%s has no %q header line", file, args[2])
		}
		return v + "\n", nil
	case what == "section" && len(args) == 3:
		body, _ := st.Section(strings.ToLower(strings.TrimPrefix(args[2], "%")))
		if strings.TrimSpace(body) == "" {
			return "", nil
		}
		return body + "\n", nil
	case what == "files" && len(args) == 2:
		var b strings.Builder
		for _, e := range defcheck.Files(data) {
			fmt.Fprintf(&b, "%s %s\n", e.Src, e.Dst)
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("unknown request %q; want header KEY, section NAME or files", strings.Join(args[1:], " "))
}
