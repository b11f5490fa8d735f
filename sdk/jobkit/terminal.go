package jobkit

import (
	"os"

	"golang.org/x/term"
)

// Terminal is where a progress bar may be drawn: stderr, or else stdout,
// when it is a terminal that a person is watching, that is, the
// controlling terminal of this process's session with this process in its
// foreground. It is nil otherwise. That rules out output redirected to a
// file or a pipe, background jobs, and the pseudo-terminal that Open MPI's
// mpirun gives rank 0 even when mpirun's own output goes to a file (that
// one controls no session).
func Terminal() *os.File {
	for _, f := range []*os.File{os.Stderr, os.Stdout} {
		if term.IsTerminal(int(f.Fd())) && foreground(f) {
			return f
		}
	}
	return nil
}
