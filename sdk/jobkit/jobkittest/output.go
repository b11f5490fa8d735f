// Package jobkittest helps test jobs built on jobkit: output paths that
// are not regular files (a character device, a FIFO, a symbolic link),
// checked afterwards to be what they were (jobkit.WriteFileAtomic must
// leave /dev/null a device), and a job killed and run again (KillAndRerun).
package jobkittest

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Kinds are the kinds of output New makes.
var Kinds = []string{"chardev", "fifo", "symlink"}

// Output is one special output path and how to check it afterwards.
type Output struct {
	// Path is what the job gets as its output file.
	Path string
	kind string
	// link is the symbolic link's target, relative to its directory.
	link string
	// rdev is the device number of a chardev.
	rdev uint64
	// fifo collects what readers of a FIFO got; stop ends them.
	fifo *fifoReader
}

// New makes an output of kind (one of Kinds) named name in a new temporary
// directory:
//
//   - chardev: a character device with /dev/null's numbers (1, 3), so that
//     writes are discarded. Making one needs root; New skips the test
//     otherwise.
//   - fifo: a FIFO with a reader that collects every write until Check.
//   - symlink: a symbolic link to a file that does not exist yet.
func New(t *testing.T, kind, name string) *Output {
	t.Helper()
	o := &Output{Path: filepath.Join(t.TempDir(), name), kind: kind}
	switch kind {
	case "chardev":
		if os.Geteuid() != 0 {
			t.Skip("making a character device (mknod) needs root; not testing output to a device")
		}
		o.rdev = 1<<8 | 3 // makedev(1, 3) for Linux's encoding of small numbers
		if err := syscall.Mknod(o.Path, syscall.S_IFCHR|0o666, int(o.rdev)); err != nil {
			t.Fatalf("mknod %s: %v", o.Path, err)
		}
	case "fifo":
		if err := syscall.Mkfifo(o.Path, 0o644); err != nil {
			t.Fatalf("mkfifo %s: %v", o.Path, err)
		}
		o.fifo = readFIFO(t, o.Path)
		t.Cleanup(func() { o.fifo.stop() })
	case "symlink":
		o.link = "target-" + name
		if err := os.Symlink(o.link, o.Path); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("jobkittest.New: unknown kind %q", kind)
	}
	return o
}

// Check fails the test if the output is no longer what New made, and
// otherwise passes what was written to it to content (all of it for a FIFO
// or a link's target; nothing is known of a device's) unless content is
// nil. Call it after the job has ended.
func (o *Output) Check(t *testing.T, content func(t *testing.T, b []byte)) {
	t.Helper()
	info, err := os.Lstat(o.Path)
	if err != nil {
		t.Fatalf("%s: %v", o.kind, err)
	}
	var got []byte
	switch o.kind {
	case "chardev":
		st, ok := info.Sys().(*syscall.Stat_t)
		if info.Mode()&os.ModeCharDevice == 0 || !ok || st.Rdev != o.rdev {
			t.Fatalf("the character device %s was replaced: now %v", o.Path, info.Mode())
		}
		return
	case "fifo":
		if info.Mode()&os.ModeNamedPipe == 0 {
			t.Fatalf("the FIFO %s was replaced: now %v", o.Path, info.Mode())
		}
		got = o.fifo.stop()
	case "symlink":
		link, err := os.Readlink(o.Path)
		if info.Mode()&os.ModeSymlink == 0 || err != nil || link != o.link {
			t.Fatalf("the symbolic link %s was replaced: now %v, to %q", o.Path, info.Mode(), link)
		}
		target := filepath.Join(filepath.Dir(o.Path), o.link)
		if st, err := os.Lstat(target); err != nil || !st.Mode().IsRegular() {
			t.Fatalf("the link's target %s is not a regular file: %v", target, err)
		}
		if got, err = os.ReadFile(target); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) == 0 {
		t.Fatalf("nothing was written through the %s %s", o.kind, o.Path)
	}
	if content != nil {
		content(t, got)
	}
}

// fifoReader reads a FIFO until stopped. It holds a write end open
// itself, so that the reader sees no end of file between the job's writes
// (each open, write, close), and the job's opens never wait.
type fifoReader struct {
	hold *os.File
	done chan []byte
}

// readFIFO starts reading the FIFO at path.
func readFIFO(t *testing.T, path string) *fifoReader {
	r := &fifoReader{done: make(chan []byte, 1)}
	opened := make(chan error, 1)
	go func() {
		f, err := os.Open(path) // waits for the write end below
		opened <- err
		if err != nil {
			return
		}
		b, _ := io.ReadAll(f) // until every writer, r.hold last, has closed
		f.Close()
		r.done <- b
	}()
	hold, err := os.OpenFile(path, os.O_WRONLY, 0) // waits for the reader
	if err == nil {
		err = <-opened
	}
	if err != nil {
		t.Fatalf("opening the FIFO %s: %v", path, err)
	}
	r.hold = hold
	return r
}

// stop ends the reader and returns all it read; call it once the job has
// closed the FIFO. Later calls return nil.
func (r *fifoReader) stop() []byte {
	if r.hold == nil {
		return nil
	}
	r.hold.Close()
	r.hold = nil
	return <-r.done
}
