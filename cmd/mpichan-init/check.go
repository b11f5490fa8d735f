package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mpichan/mpichan/cmd/mpichan-init/internal/defcheck"
	"github.com/mpichan/mpichan/templates"
)

func listAction(c *cli.Context) error {
	for _, t := range templates.List() {
		fmt.Fprintf(c.App.Writer, "%-12s %s\n", t.Name, t.Description)
	}
	if !templates.HasBundle() {
		fmt.Fprintln(c.App.ErrWriter, "mpichan-init: "+templates.NoBundle)
	}
	return nil
}

func checkAction(c *cli.Context) error {
	if c.NArg() != 1 {
		cli.HelpPrinter(c.App.Writer, cli.CommandHelpTemplate, c.Command)
		return errors.New("check takes one argument, a directory or file")
	}
	ctx, cancel := context.WithTimeout(c.Context, 5*time.Minute)
	defer cancel()
	n, err := check(ctx, c.Args().First(), c.App.Writer)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d problem(s) found", n)
	}
	return nil
}

// check checks every definition file and script under root, prints each
// problem as path:line: message, and returns how many it found.
func check(ctx context.Context, root string, out io.Writer) (int, error) {
	var defs, scripts []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		switch {
		case d.IsDir():
		case strings.HasSuffix(p, ".def"):
			defs = append(defs, p)
		case strings.HasSuffix(p, ".sh"), strings.HasSuffix(p, ".sbatch"):
			scripts = append(scripts, p)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	problems := 0
	for _, p := range defs {
		probs, err := checkDef(p)
		if err != nil {
			return problems, err
		}
		for _, pr := range probs {
			fmt.Fprintf(out, "%s:%d: %s\n", p, pr.Line, pr.Msg)
		}
		if len(probs) == 0 {
			fmt.Fprintf(out, "%s: ok (Apptainer definition)\n", p)
		}
		problems += len(probs)
	}
	if len(scripts) == 0 {
		return problems, nil
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		fmt.Fprintf(out, "shellcheck not found: %d script(s) not checked\n", len(scripts))
		return problems, nil
	}
	for _, s := range scripts {
		cmd := exec.CommandContext(ctx, "shellcheck", "-f", "gcc", s)
		b, err := cmd.CombinedOutput()
		if err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				return problems, fmt.Errorf("shellcheck %s: %w", s, err)
			}
			out.Write(b)
			problems += max(1, strings.Count(string(b), "\n"))
			continue
		}
		fmt.Fprintf(out, "%s: ok (shellcheck)\n", s)
	}
	return problems, nil
}

// checkDef checks a definition's grammar and, when it builds a Go project
// (it runs "go build", and lies in apptainer/ next to go.mod or next to
// go.mod itself), its %files against what the project's build needs.
func checkDef(p string) ([]defcheck.Problem, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	probs := defcheck.Check(data)
	if !strings.Contains(string(data), "go build") {
		return probs, nil
	}
	dir := filepath.Dir(p)
	for _, root := range []string{dir, filepath.Dir(dir)} {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			more, err := defcheck.CheckFiles(data, os.DirFS(root))
			if err != nil {
				return nil, err
			}
			return append(probs, more...), nil
		}
	}
	return probs, nil
}
