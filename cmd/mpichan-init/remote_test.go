package main

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type server struct {
	*httptest.Server
	requests atomic.Int32
}

// serve answers every request with body, after failing the first
// failFirst requests with 503.
func serve(t *testing.T, body []byte, failFirst int32) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.requests.Add(1) <= failFirst {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestRemoteRetries (acceptance 3): two 503 answers, then the third
// request succeeds and the template (with a placeholder in a file name)
// is generated.
func TestRemoteRetries(t *testing.T) {
	arc := tarGz(t,
		entry{name: "tpl/", dir: true},
		entry{name: "tpl/[[.Name]].txt.tmpl", body: "job [[.Name]] on [[.Nodes]] nodes\n"},
		entry{name: "tpl/run.sh", body: "#!/bin/sh\necho ${HOME}\n"},
		entry{name: "tpl/link", link: "run.sh"})
	srv := serve(t, arc, 2)
	dir := filepath.Join(t.TempDir(), "rjob")
	sum := sha256.Sum256(arc)
	out, err := runCLI(t, "new", "--template", srv.URL+"/t.tar.gz", "--sha256", hex.EncodeToString(sum[:]), "--nodes", "3", dir)
	if err != nil {
		t.Fatalf("new: %v\n%s", err, out)
	}
	if n := srv.requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3 (two 503s, then success)", n)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "rjob.txt")); err != nil || string(b) != "job rjob on 3 nodes\n" {
		t.Errorf("rendered file: %q, %v", b, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "run.sh")); !strings.Contains(string(b), "${HOME}") {
		t.Error("a file without .tmpl was changed")
	}
	if l, err := os.Readlink(filepath.Join(dir, "link")); err != nil || l != "run.sh" {
		t.Errorf("inner symlink: %q, %v", l, err)
	}
}

// TestRemoteSHA256Mismatch: a wrong --sha256 fails and writes nothing.
func TestRemoteSHA256Mismatch(t *testing.T) {
	srv := serve(t, tarGz(t, entry{name: "a.txt", body: "a"}), 0)
	parent := t.TempDir()
	_, err := runCLI(t, "new", "--template", srv.URL+"/t.tar.gz", "--sha256", strings.Repeat("0", 64), filepath.Join(parent, "j"))
	if err == nil || !strings.Contains(err.Error(), "SHA-256 mismatch") {
		t.Fatalf("want a SHA-256 mismatch, got %v", err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("wrote %v", ents)
	}
}

// TestRemoteDeadline (acceptance 3): a server that never answers hits the
// total deadline with a clear error.
func TestRemoteDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	parent := t.TempDir()
	start := time.Now()
	_, err := runCLI(t, "new", "--template", srv.URL+"/t.tar.gz", "--fetch-timeout", "1500ms", filepath.Join(parent, "j"))
	if err == nil || !strings.Contains(err.Error(), "total deadline") {
		t.Fatalf("want a deadline error, got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("gave up after %v, deadline was 1.5s", d)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("wrote %v", ents)
	}
}

// TestRemoteUnsafeArchives (acceptance 3): archives with ../ paths,
// absolute paths or outward symlinks are refused, and nothing is written
// anywhere.
func TestRemoteUnsafeArchives(t *testing.T) {
	ok := entry{name: "x/ok.txt", body: "fine"}
	cases := map[string][]byte{
		"tar dotdot":        tarGz(t, ok, entry{name: "x/../../evil.txt", body: "evil"}),
		"tar absolute":      tarGz(t, ok, entry{name: "/tmp/evil.txt", body: "evil"}),
		"tar symlink out":   tarGz(t, ok, entry{name: "x/l", link: "../../.."}),
		"tar symlink abs":   tarGz(t, ok, entry{name: "x/l", link: "/etc"}),
		"tar link chain":    tarGz(t, ok, entry{name: "x/a", link: "."}, entry{name: "x/b", link: "a/.."}),
		"tar through link":  tarGz(t, ok, entry{name: "x/d", link: "."}, entry{name: "x/d/f", body: "y"}),
		"zip dotdot":        zipArchive(t, ok, entry{name: "../evil.txt", body: "evil"}),
		"zip absolute":      zipArchive(t, ok, entry{name: "/evil.txt", body: "evil"}),
		"zip symlink out":   zipArchive(t, ok, entry{name: "x/l", link: "../../etc/passwd"}),
		"not an archive":    []byte("hello"),
		"zip too many":      zipArchive(t, manyEntries(2100)...),
		"tar over the size": tarGz(t, entry{name: "big", body: strings.Repeat("z", 65<<20)}),
	}
	for name, arc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := serve(t, arc, 0)
			root := t.TempDir()
			parent := filepath.Join(root, "a", "b")
			os.MkdirAll(parent, 0o755)
			before := snapshot(t, root)
			_, err := runCLI(t, "new", "--template", srv.URL+"/t", filepath.Join(parent, "job"))
			if err == nil || !strings.Contains(err.Error(), "template archive") {
				t.Fatalf("want a refusal, got %v", err)
			}
			t.Log(err)
			sameTree(t, name, before, snapshot(t, root))
		})
	}
	if _, err := os.Stat("/tmp/evil.txt"); err == nil {
		t.Error("/tmp/evil.txt was written")
	}
}

func manyEntries(n int) []entry {
	var es []entry
	for i := range n {
		es = append(es, entry{name: "f" + strings.Repeat("x", i%7) + "/" + string(rune('a'+i%26)) + strconv.Itoa(i), body: "."})
	}
	return es
}

// TestRemoteErrorsNameTheCause: an unknown host and a 404
// fail at once, not retried, and a refused connection is named when the
// deadline ends the retries.
func TestRemoteErrorsNameTheCause(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	var hits atomic.Int32
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.NotFound(w, r)
	}))
	defer counting.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String() + "/t.tar.gz"
	l.Close()
	for _, c := range []struct {
		url, want string
		fast      bool
	}{
		{"http://no-such-host.invalid/t.tar.gz", "no such host", true},
		{counting.URL + "/t.tar.gz", "404 Not Found (not retried", true},
		{refused, "connection refused", false},
	} {
		start := time.Now()
		_, err := runCLI(t, "new", "--template", c.url, "--fetch-timeout", "3s", filepath.Join(t.TempDir(), "j"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want %q in the error, got %v", c.url, c.want, err)
		}
		if d := time.Since(start); c.fast && d > 2*time.Second {
			t.Errorf("%s: took %v; a failure that cannot succeed must not be retried", c.url, d)
		}
		t.Log(err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("404 was asked %d times, want 1", n)
	}
}

// TestLocalTemplates: a local .tar.gz (with --sha256) and a
// local directory are accepted as --template; an unsafe directory is not.
func TestLocalTemplates(t *testing.T) {
	src := t.TempDir()
	arc := tarGz(t, entry{name: "t/[[.Name]].txt.tmpl", body: "job [[.Name]]\n"})
	os.WriteFile(filepath.Join(src, "t.tar.gz"), arc, 0o644)
	sum := sha256.Sum256(arc)
	dir := filepath.Join(t.TempDir(), "ajob")
	if out, err := runCLI(t, "new", dir, "-t", filepath.Join(src, "t.tar.gz"), "--sha256", hex.EncodeToString(sum[:])); err != nil {
		t.Fatalf("local archive: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "ajob.txt")); string(b) != "job ajob\n" {
		t.Errorf("local archive rendered %q", b)
	}
	if _, err := runCLI(t, "new", filepath.Join(t.TempDir(), "bad"), "-t", filepath.Join(src, "t.tar.gz"), "--sha256", strings.Repeat("0", 64)); err == nil || !strings.Contains(err.Error(), "SHA-256 mismatch") {
		t.Errorf("wrong --sha256 on a local archive: %v", err)
	}

	tpl := filepath.Join(src, "tpl")
	os.MkdirAll(filepath.Join(tpl, "sub"), 0o755)
	os.WriteFile(filepath.Join(tpl, "Makefile.tmpl"), []byte("run:\n\techo [[.Name]]\n"), 0o644)
	os.WriteFile(filepath.Join(tpl, "sub", "run.sh"), []byte("#!/bin/sh\n"), 0o755)
	os.Symlink("sub/run.sh", filepath.Join(tpl, "link"))
	dir = filepath.Join(t.TempDir(), "djob")
	out, err := runCLI(t, "new", "-t", tpl, dir)
	if err != nil {
		t.Fatalf("local directory: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "Makefile")); string(b) != "run:\n\techo djob\n" || !strings.Contains(out, "make run") {
		t.Errorf("local directory: Makefile %q, output %s", b, out)
	}
	if st, err := os.Stat(filepath.Join(dir, "sub", "run.sh")); err != nil || st.Mode()&0o100 == 0 {
		t.Errorf("sub/run.sh: %v %v", st, err)
	}
	os.Symlink("../../etc", filepath.Join(tpl, "out"))
	if _, err := runCLI(t, "new", "-t", tpl, filepath.Join(t.TempDir(), "ejob")); err == nil || !strings.Contains(err.Error(), "unsafe template directory") {
		t.Errorf("a directory with a link out of it: %v", err)
	}
	if _, err := runCLI(t, "new", "-t", "nosuchtemplate", filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), "mpichan-init list") {
		t.Errorf("unknown template: %v", err)
	}
}
