package jobkit_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mpichan/mpichan/sdk/jobkit"
	"github.com/mpichan/mpichan/sdk/jobkit/jobkittest"
)

// TestWriteFileAtomicSpecial: a character device, a FIFO and a symbolic
// link are written through, and are still what they were afterwards.
func TestWriteFileAtomicSpecial(t *testing.T) {
	for _, kind := range jobkittest.Kinds {
		t.Run(kind, func(t *testing.T) {
			out := jobkittest.New(t, kind, "out.txt")
			boom := errors.New("boom")
			err := jobkit.WriteFileAtomic(out.Path, func(w io.Writer) error {
				io.WriteString(w, "half")
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("failed write: %v", err)
			}
			if err := jobkit.WriteFileAtomic(out.Path, func(w io.Writer) error {
				_, err := io.WriteString(w, "whole\n")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			out.Check(t, func(t *testing.T, b []byte) {
				if string(b) != "whole\n" {
					t.Errorf("got %q, want only the successful write's %q", b, "whole\n")
				}
			})
		})
	}
}

// TestWriteFileAtomicLinkToFile: a link to an existing file stays a link;
// the file gets the content and keeps its permissions.
func TestWriteFileAtomicLinkToFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "sub", "real.txt")
	os.Mkdir(filepath.Dir(target), 0o755)
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A chain: out.txt -> sub/link.txt -> real.txt (relative to sub/).
	if err := errors.Join(os.Symlink("real.txt", filepath.Join(dir, "sub", "link.txt")),
		os.Symlink("sub/link.txt", filepath.Join(dir, "out.txt"))); err != nil {
		t.Fatal(err)
	}
	if err := jobkit.WriteFileAtomic(filepath.Join(dir, "out.txt"), func(w io.Writer) error {
		_, err := io.WriteString(w, "new")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"out.txt", "sub/link.txt"} {
		if info, err := os.Lstat(filepath.Join(dir, l)); err != nil || info.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symbolic link: %v", l, err)
		}
	}
	info, err := os.Stat(target)
	if b, _ := os.ReadFile(target); err != nil || string(b) != "new" || info.Mode().Perm() != 0o600 {
		t.Errorf("target holds %q with mode %v, want %q with 0600", b, info.Mode(), "new")
	}
}

// TestWriteFileAtomicRefuses: a directory, a socket, a block device and a
// loop of links are refused with an error naming the problem.
func TestWriteFileAtomicRefuses(t *testing.T) {
	dir := t.TempDir()
	loop := filepath.Join(dir, "loop")
	os.Symlink("loop", loop)
	sock := filepath.Join(dir, "sock")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		err = syscall.Bind(fd, &syscall.SockaddrUnix{Name: sock})
		defer syscall.Close(fd)
	}
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{dir: "is a directory", sock: "is a socket", loop: "more than 40 symbolic links"}
	if os.Geteuid() == 0 {
		blk := filepath.Join(dir, "blk")
		// Block device 7, 255 (a loop device number); nothing is opened.
		if err := syscall.Mknod(blk, syscall.S_IFBLK|0o600, 7<<8|255); err != nil {
			t.Fatal(err)
		}
		cases[blk] = "is a block device"
	}
	for path, msg := range cases {
		wrote := false
		err := jobkit.WriteFileAtomic(path, func(w io.Writer) error { wrote = true; return nil })
		if err == nil || !strings.Contains(err.Error(), msg) || wrote {
			t.Errorf("%s: error %v (wrote: %v), want one saying %q", filepath.Base(path), err, wrote, msg)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != len(cases)-1 {
		t.Errorf("files left behind: %v", ents)
	}
}
