package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mpichan/mpichan/cmd/mpichan-init/internal/generate"
	"github.com/mpichan/mpichan/templates"
)

const sdkModule = "github.com/mpichan/mpichan/sdk"

func newCommand() *cli.Command {
	return &cli.Command{
		Name:      "new",
		Usage:     "create a job project in directory NAME (parent directories are created)",
		ArgsUsage: "NAME",
		Description: "Flags may come before or after NAME. Without --sdk-path or --sdk-version the project\n" +
			"carries the SDK " + templates.SDKVersion + " and every module it needs in vendor/, so it builds offline\n" +
			"(from the module bundle of a binary made by `make build`).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "template", Aliases: []string{"t"}, Value: "minimal", Usage: "built-in template (see list), a local template directory or .tar.gz/.zip, an https:// URL of one, or a Go program directory such as examples/sweep"},
			&cli.StringFlag{Name: "module", Aliases: []string{"m"}, Usage: "Go module path (default: NAME)"},
			&cli.StringFlag{Name: "mpi", Value: "openmpi", Usage: "MPI library the project builds against: openmpi or mpich (make build MPI_PC=... changes it later)"},
			&cli.IntFlag{Name: "nodes", Value: 1, Usage: "Slurm nodes"},
			&cli.IntFlag{Name: "ntasks-per-node", Value: 2, Usage: "MPI ranks (Slurm tasks) per node"},
			&cli.IntFlag{Name: "cpus-per-task", Value: 2, Usage: "cores per rank (Go wants at least 2 threads per rank)"},
			&cli.StringFlag{Name: "mem", Usage: "Slurm memory per node, e.g. 4G"},
			&cli.StringFlag{Name: "time", Value: "00:10:00", Usage: "Slurm wall time"},
			&cli.StringFlag{Name: "partition", Usage: "Slurm partition(s), comma-separated"},
			&cli.StringFlag{Name: "account", Usage: "Slurm account"},
			&cli.StringFlag{Name: "qos", Usage: "Slurm quality of service"},
			&cli.StringFlag{Name: "constraint", Usage: "Slurm node features, e.g. 'skylake&ib'"},
			&cli.StringFlag{Name: "gres", Usage: "Slurm generic resources, e.g. gpu:1"},
			&cli.StringSliceFlag{Name: "module-load", Usage: "environment module the Slurm scripts load (repeat for several)"},
			&cli.StringFlag{Name: "sdk-version", Usage: "require this published SDK release instead of the embedded " + templates.SDKVersion},
			&cli.StringFlag{Name: "sdk-path", Usage: "local SDK checkout, written as a replace line"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "list what would be written, write nothing"},
			&cli.BoolFlag{Name: "force", Usage: "write into a non-empty directory"},
			&cli.StringFlag{Name: "sha256", Usage: "expected SHA-256 of a remote or local template archive"},
			&cli.DurationFlag{Name: "fetch-timeout", Value: 2 * time.Minute, Usage: "total deadline for fetching a remote template"},
		},
		Action:       newAction,
		BashComplete: completeFlags,
	}
}

// Params are the values a template's placeholders can use.
type Params struct {
	Name          string // project and binary name
	Module        string // Go module path
	Template      string // template name, path or URL
	Like          string // the built-in template the project is made like: Template, or the one whose modules a Go program directory gets
	MPIPC         string // pkg-config package of the MPI library
	SrunMPI       string // srun --mpi plugin for that library
	Nodes         int
	NtasksPerNode int
	Ntasks        int // Nodes * NtasksPerNode
	CpusPerTask   int
	Mem           string
	Time          string
	Partition     string
	Account       string
	QOS           string
	Constraint    string
	Gres          string
	ModuleLoad    []string // modules the Slurm scripts load
	SDKVersion    string   // version in the require line
	SDKPath       string   // replace target, relative to the project, if set
	Vendored      bool     // the SDK and all modules are in vendor/
	Packages      []string // directories of Go packages besides the root (set after rendering)
	Version       string   // of mpichan-init
}

var (
	nameRE       = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)
	moduleRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~/-]*$`)
	timeRE       = regexp.MustCompile(`^(UNLIMITED|infinite|(\d+-)?\d+(:\d\d){0,2})$`)
	wordRE       = regexp.MustCompile(`^[A-Za-z0-9_.-]*$`)
	wordListRE   = regexp.MustCompile(`^([A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*)?$`)
	memRE        = regexp.MustCompile(`^(\d+[KMGT]?)?$`)
	constraintRE = regexp.MustCompile(`^[A-Za-z0-9_.,&|*!:\[\]()-]*$`)
	gresRE       = regexp.MustCompile(`^[A-Za-z0-9_.,:/-]*$`)
	moduleNameRE = regexp.MustCompile(`^[A-Za-z0-9_.+/-]+$`)
	semverRE     = regexp.MustCompile(`^v\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$`)
)

// mpiLibraries maps --mpi to the pkg-config package and the srun plugin.
var mpiLibraries = map[string][2]string{
	"openmpi": {"ompi-c", "pmix"},
	"mpich":   {"mpich", "pmi2"},
}

// params checks the flags and works out the placeholder values for a
// project at target.
func params(c *cli.Context, target string) (Params, error) {
	p := Params{
		Name:          filepath.Base(target),
		Module:        c.String("module"),
		Template:      c.String("template"),
		Nodes:         c.Int("nodes"),
		NtasksPerNode: c.Int("ntasks-per-node"),
		CpusPerTask:   c.Int("cpus-per-task"),
		Mem:           c.String("mem"),
		Time:          c.String("time"),
		Partition:     c.String("partition"),
		Account:       c.String("account"),
		QOS:           c.String("qos"),
		Constraint:    c.String("constraint"),
		Gres:          c.String("gres"),
		ModuleLoad:    c.StringSlice("module-load"),
		SDKVersion:    c.String("sdk-version"),
		Version:       toolVersion(),
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
	lib, ok := mpiLibraries[c.String("mpi")]
	if !ok {
		return p, fmt.Errorf("--mpi %q: want openmpi or mpich", c.String("mpi"))
	}
	p.MPIPC, p.SrunMPI = lib[0], lib[1]
	if p.Nodes < 1 || p.NtasksPerNode < 1 || p.CpusPerTask < 1 {
		return p, errors.New("--nodes, --ntasks-per-node and --cpus-per-task must be at least 1")
	}
	p.Ntasks = p.Nodes * p.NtasksPerNode
	if !timeRE.MatchString(p.Time) {
		return p, fmt.Errorf("--time %q: want [days-]hours:minutes:seconds, minutes, or UNLIMITED", p.Time)
	}
	for _, f := range []struct {
		flag, value string
		re          *regexp.Regexp
		want        string
	}{
		{"partition", p.Partition, wordListRE, "names of letters, digits, '.', '-' and '_', separated by commas"},
		{"account", p.Account, wordRE, "letters, digits, '.', '-' and '_'"},
		{"qos", p.QOS, wordRE, "letters, digits, '.', '-' and '_'"},
		{"mem", p.Mem, memRE, "a number with an optional K, M, G or T suffix"},
		{"constraint", p.Constraint, constraintRE, "features joined by & | , * with brackets, no spaces or quotes"},
		{"gres", p.Gres, gresRE, "name[:type]:count, comma-separated"},
	} {
		if !f.re.MatchString(f.value) {
			return p, fmt.Errorf("--%s %q: want %s", f.flag, f.value, f.want)
		}
	}
	for _, m := range p.ModuleLoad {
		if !moduleNameRE.MatchString(m) {
			return p, fmt.Errorf("--module-load %q: want a module name such as openmpi/4.1.5", m)
		}
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
		p.SDKPath, p.SDKVersion = rel, templates.SDKVersion
	case p.SDKVersion == "":
		p.SDKVersion, p.Vendored = templates.SDKVersion, true
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
		cli.HelpPrinter(c.App.Writer, cli.CommandHelpTemplate, c.Command)
		if c.NArg() == 0 {
			return errors.New("new needs the project NAME (or path), e.g. mpichan-init new myjob")
		}
		return fmt.Errorf("new takes one project NAME (or path); got %d: %s", c.NArg(), strings.Join(c.Args().Slice(), " "))
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
	p.Like = src.like
	if p.Vendored && src.noModules != nil {
		return src.noModules
	}
	files, err := render(src.files, p)
	if err != nil {
		return err
	}
	if p.Vendored && src.modules != "" {
		vendor, err := vendorFiles(src.modules)
		if err != nil {
			return err
		}
		files = append(files, vendor...)
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
	fmt.Fprintf(out, "created %s (%d files, template %s)\n", target, len(files), p.Template)
	if slices.ContainsFunc(files, func(f generate.File) bool { return f.Path == "Makefile" }) {
		fmt.Fprintf(out, "next: cd %s && make run\n", c.Args().First())
	} else {
		fmt.Fprintf(out, "next: cd %s (the template has no Makefile; see its README)\n", c.Args().First())
	}
	return nil
}

// render fills the template's placeholders. Files are rendered twice:
// first to learn the project's Go package directories, which the
// Apptainer definition's %files must list, then with them.
func render(src []generate.File, p Params) ([]generate.File, error) {
	files, err := generate.Render(src, p)
	if err != nil {
		return nil, err
	}
	p.Packages = generate.PackageDirs(files)
	if len(p.Packages) == 0 {
		return files, nil
	}
	return generate.Render(src, p)
}
