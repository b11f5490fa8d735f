//go:build unix

package jobkit

import (
	"os"

	"golang.org/x/sys/unix"
)

// foreground reports whether f is the controlling terminal of this
// process's session, with this process's group in its foreground.
func foreground(f *os.File) bool {
	pgrp, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}
