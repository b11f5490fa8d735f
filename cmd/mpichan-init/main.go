// Command mpichan-init scaffolds an mpichan job: a Go module from a
// template, a Makefile, Slurm batch scripts and an Apptainer definition.
//
//	mpichan-init new myjob --nodes 2 --ntasks-per-node 4 --sdk-path ../mpichan/sdk
//	mpichan-init list
//	mpichan-init check myjob
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mpichan/mpichan/cmd/mpichan-init/internal/defcheck"
	"github.com/mpichan/mpichan/cmd/mpichan-init/internal/fetch"
	"github.com/mpichan/mpichan/cmd/mpichan-init/internal/generate"
	"github.com/mpichan/mpichan/cmd/mpichan-init/internal/unpack"
	"github.com/mpichan/mpichan/templates"
)

// version is set at link time (-ldflags "-X main.version=...").
var version = "dev"

// DefaultSDKVersion is the SDK release a new project requires unless
// --sdk-version or --sdk-path says otherwise.
const DefaultSDKVersion = "v0.1.0"

const sdkModule = "github.com/mpichan/mpichan/sdk"

func main() {
	if err := newApp(os.Stdout, os.Stderr).Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "mpichan-init:", err)
		os.Exit(1)
	}
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:                 "mpichan-init",
		Usage:                "scaffold an mpichan MPI job for mpirun, Slurm and Apptainer",
		Version:              version,
		EnableBashCompletion: true,
		Writer:               stdout,
		ErrWriter:            stderr,
		ExitErrHandler:       func(*cli.Context, error) {},
		Commands: []*cli.Command{
			newCommand(),
			{
				Name:   "list",
				Usage:  "list the built-in templates",
				Action: listAction,
			},
			{
				Name:      "check",
				Usage:     "check Apptainer definitions (*.def) and, with shellcheck, scripts under DIR",
				ArgsUsage: "DIR",
				Action:    checkAction,
			},
		},
	}
}

func newCommand() *cli.Command {
	return &cli.Command{
		Name:      "new",
		Usage:     "create a job project in directory NAME",
		ArgsUsage: "NAME",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "template", Aliases: []string{"t"}, Value: "minimal", Usage: "built-in template (see list) or URL of a .tar.gz/.zip template"},
			&cli.StringFlag{Name: "module", Aliases: []string{"m"}, Usage: "Go module path (default: NAME)"},
			&cli.IntFlag{Name: "ntasks-per-node", Value: 2, Usage: "MPI ranks (Slurm tasks) per node"},
			&cli.IntFlag{Name: "nodes", Value: 1, Usage: "Slurm nodes"},
			&cli.StringFlag{Name: "time", Value: "00:10:00", Usage: "Slurm wall time"},
			&cli.StringFlag{Name: "partition", Usage: "Slurm partition"},
			&cli.StringFlag{Name: "account", Usage: "Slurm account"},
			&cli.StringFlag{Name: "sdk-version", Usage: "SDK release to require (default " + DefaultSDKVersion + ")"},
			&cli.StringFlag{Name: "sdk-path", Usage: "local SDK checkout, written as a replace line"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "list what would be written, write nothing"},
			&cli.BoolFlag{Name: "force", Usage: "write into a non-empty directory"},
			&cli.StringFlag{Name: "sha256", Usage: "expected SHA-256 of a remote template archive"},
			&cli.DurationFlag{Name: "fetch-timeout", Value: 2 * time.Minute, Usage: "total deadline for fetching a remote template"},
		},
		Action: newAction,
	}
}

// Params are the values a template's placeholders can use.
type Params struct {
	Name          string // project and binary name
	Module        string // Go module path
	Template      string // template name or URL
	Nodes         int
	NtasksPerNode int
	Ntasks        int // Nodes * NtasksPerNode
	Time          string
	Partition     string
	Account       string
	SDKVersion    string // version in the require line
	SDKPath       string // replace target, relative to the project, if set
	Version       string // of mpichan-init
}

var (
	nameRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)
	moduleRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~/-]*$`)
	timeRE   = regexp.MustCompile(`^(UNLIMITED|infinite|(\d+-)?\d+(:\d\d){0,2})$`)
	wordRE   = regexp.MustCompile(`^[A-Za-z0-9_.-]*$`)
	semverRE = regexp.MustCompile(`^v\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$`)
)

// params checks the flags and works out the placeholder values for a
// project at target.
func params(c *cli.Context, target string) (Params, error) {
	p := Params{
		Name:          filepath.Base(target),
		Module:        c.String("module"),
		Template:      c.String("template"),
		Nodes:         c.Int("nodes"),
		NtasksPerNode: c.Int("ntasks-per-node"),
		Time:          c.String("time"),
		Partition:     c.String("partition"),
		Account:       c.String("account"),
		SDKVersion:    c.String("sdk-version"),
		Version:       version,
	}
	if !nameRE.MatchString(p.Name) {
		return p, fmt.Errorf("name %q: use a letter, then letters, digits, '-' or '_'", p.Name)
	}
	if p.Module == "" {
		p.Module = p.Name
	}
	if !moduleRE.MatchString(p.Module) || strings.Contains(p.Module, "..") {
		return p, fmt.Errorf("--module %q is not a valid module path", p.Module)
	}
	if p.Nodes < 1 || p.NtasksPerNode < 1 {
		return p, errors.New("--nodes and --ntasks-per-node must be at least 1")
	}
	p.Ntasks = p.Nodes * p.NtasksPerNode
	if !timeRE.MatchString(p.Time) {
		return p, fmt.Errorf("--time %q: want [days-]hours:minutes:seconds, minutes, or UNLIMITED", p.Time)
	}
	if !wordRE.MatchString(p.Partition) || !wordRE.MatchString(p.Account) {
		return p, errors.New("--partition and --account take letters, digits, '.', '-' and '_' only")
	}
	sdkPath := c.String("sdk-path")
	switch {
	case sdkPath != "" && p.SDKVersion != "":
		return p, errors.New("give --sdk-version or --sdk-path, not both")
	case sdkPath != "":
		rel, err := sdkReplace(sdkPath, target)
		if err != nil {
			return p, err
		}
		p.SDKPath, p.SDKVersion = rel, "v0.0.0"
	case p.SDKVersion == "":
		p.SDKVersion = DefaultSDKVersion
	}
	if !semverRE.MatchString(p.SDKVersion) {
		return p, fmt.Errorf("--sdk-version %q: want a version such as v0.1.0", p.SDKVersion)
	}
	return p, nil
}

// sdkReplace checks a local SDK checkout and returns it as a path relative
// to the project directory (./ or ../ form), or absolute if that fails.
func sdkReplace(sdkPath, target string) (string, error) {
	abs, err := filepath.Abs(sdkPath)
	if err != nil {
		return "", err
	}
	mod, err := os.ReadFile(filepath.Join(abs, "go.mod"))
	if err != nil || !strings.Contains(string(mod), "module "+sdkModule) {
		return "", fmt.Errorf("--sdk-path %s: no go.mod of module %s there", sdkPath, sdkModule)
	}
	rel, err := filepath.Rel(target, abs)
	if err != nil || strings.ContainsAny(rel, " \t\"") {
		return abs, nil
	}
	if !strings.HasPrefix(rel, "..") {
		rel = "." + string(filepath.Separator) + rel
	}
	return filepath.ToSlash(rel), nil
}

func newAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("new takes one argument, the project NAME (or path); got %d", c.NArg())
	}
	target, err := filepath.Abs(c.Args().First())
	if err != nil {
		return err
	}
	p, err := params(c, target)
	if err != nil {
		return err
	}
	src, err := loadTemplate(c, p.Template)
	if err != nil {
		return err
	}
	files, err := generate.Render(src, p)
	// Templates made from examples import the examples' shared package;
	// the project carries its own copy under its module path.
	for i, f := range files {
		if strings.HasSuffix(f.Path, ".go") {
			files[i].Data = bytes.ReplaceAll(f.Data, []byte(templates.KitImport), []byte(p.Module+"/"+templates.Kit))
		}
	}
	if err != nil {
		return err
	}
	out := c.App.Writer
	if c.Bool("dry-run") {
		acts, err := generate.Plan(target, files, c.Bool("force"))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "would write %d files to %s (dry run, nothing written):\n", len(acts), target)
		for _, a := range acts {
			fmt.Fprintln(out, "  "+a.String())
		}
		return nil
	}
	if err := generate.Write(target, files, c.Bool("force")); err != nil {
		return err
	}
	fmt.Fprintf(out, "created %s (%d files, template %s)\nnext: cd %s && make run\n", target, len(files), p.Template, c.Args().First())
	return nil
}

// loadTemplate returns a built-in template (common files plus its own) or
// the files of a remote archive.
func loadTemplate(c *cli.Context, name string) ([]generate.File, error) {
	if strings.Contains(name, "://") {
		data, err := fetch.Get(c.Context, name, fetch.Options{
			Deadline: c.Duration("fetch-timeout"),
			SHA256:   c.String("sha256"),
			Log:      c.App.ErrWriter,
		})
		if err != nil {
			return nil, err
		}
		return unpack.Archive(data, unpack.Limits{})
	}
	if c.String("sha256") != "" {
		return nil, errors.New("--sha256 applies to a template URL only")
	}
	for _, t := range templates.List() {
		if t.Name == name {
			common, err := generate.FromFS(templates.FS, templates.Common)
			if err != nil {
				return nil, err
			}
			own, err := generate.FromFS(templates.FS, name, templates.Meta)
			if err != nil {
				return nil, err
			}
			return generate.Overlay(common, own), nil
		}
	}
	return nil, fmt.Errorf("no template %q; see mpichan-init list", name)
}

func listAction(c *cli.Context) error {
	for _, t := range templates.List() {
		fmt.Fprintf(c.App.Writer, "%-12s %s\n", t.Name, t.Description)
	}
	return nil
}

func checkAction(c *cli.Context) error {
	if c.NArg() != 1 {
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
		if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
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
		data, err := os.ReadFile(p)
		if err != nil {
			return problems, err
		}
		probs := defcheck.Check(data)
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
