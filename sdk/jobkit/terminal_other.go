//go:build !unix

package jobkit

import "os"

// foreground cannot tell a watched terminal elsewhere: any terminal is.
func foreground(*os.File) bool { return true }
