package jobkit

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// ParseFlags parses args into fs (made with flag.ContinueOnError), then
// runs check. Every rank parses the same arguments, so they all agree; only
// rank 0 prints. It exits 0 after -h and 2 after a bad flag, before MPI
// starts, so nothing has been written.
func ParseFlags(fs *flag.FlagSet, about string, args []string, check func() error) {
	out := io.Writer(os.Stderr)
	if LauncherRank() != 0 {
		out = io.Discard
	}
	fs.SetOutput(io.Discard) // errors are printed here, once
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(out, "Usage: mpirun -n N %s [flags]\n\n%s\n\nFlags:\n", fs.Name(), about)
		fs.SetOutput(out)
		fs.PrintDefaults()
		os.Exit(0)
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	if err == nil {
		err = check()
	}
	if err != nil {
		fmt.Fprintf(out, "%s: %v\nRun '%s -h' for help.\n", fs.Name(), err, fs.Name())
		os.Exit(2)
	}
}

// ProgressFlag defines the -progress flag; CheckProgress checks its value.
func ProgressFlag(fs *flag.FlagSet) *string {
	return fs.String("progress", "auto", "`mode` of progress on rank 0: auto (a bar when stderr is a terminal in the foreground, else lines), bar, lines (one every 5s), or off")
}

// CheckProgress reports an error for a bad -progress mode.
func CheckProgress(mode string) error {
	switch mode {
	case "auto", "bar", "lines", "off":
		return nil
	}
	return fmt.Errorf("-progress %q: want auto, bar, lines or off", mode)
}

// JournalFlags defines -journal and -fresh, for a job that records its
// finished tasks in a Journal; JournalPath turns -journal into a path.
func JournalFlags(fs *flag.FlagSet) (path *string, fresh *bool) {
	path = fs.String("journal", "", "record finished tasks in this `file`, so that the job run again after it was killed skips them; removed when the job ends well (default: -out with .journal added; none: no journal)")
	fresh = fs.Bool("fresh", false, "start over: discard the journal of an earlier run")
	return path, fresh
}

// JournalPath is the journal of a job writing out, given -journal: the
// flag's value if set; "" (no journal) for "none", or for no -out, or for
// an -out that is not a regular file (a device such as /dev/null, or a
// FIFO, which has no directory of its own); else out with ".journal" added.
func JournalPath(journal, out string) string {
	switch journal {
	case "none":
		return ""
	case "":
		if out == "" {
			return ""
		}
		if info, err := os.Stat(out); err == nil && !info.Mode().IsRegular() {
			return ""
		}
		return out + ".journal"
	}
	return journal
}
