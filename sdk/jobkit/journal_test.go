package jobkit_test

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mpichan/mpichan/sdk/jobkit"
)

// result is a task's result as the examples send it: a plain struct.
type result struct {
	ID  int64
	Sum float64
}

func openJournal(t *testing.T, path string, fresh bool) (*jobkit.Journal[result], map[int64]result) {
	t.Helper()
	j, done, err := jobkit.OpenJournal[result](path, "job n=3", fresh)
	if err != nil {
		t.Fatal(err)
	}
	return j, done
}

// appendAll records tasks ids, each with a result that has odd bits.
func appendAll(t *testing.T, j *jobkit.Journal[result], ids ...int64) {
	t.Helper()
	for _, id := range ids {
		if err := j.Append(id, result{id, math.Nextafter(float64(id), 1e9)}); err != nil {
			t.Fatal(err)
		}
	}
}

func wantTasks(t *testing.T, done map[int64]result, ids ...int64) {
	t.Helper()
	want := map[int64]result{}
	for _, id := range ids {
		want[id] = result{id, math.Nextafter(float64(id), 1e9)}
	}
	if !reflect.DeepEqual(done, want) {
		t.Fatalf("journal holds %v, want %v", done, want)
	}
}

// TestJournalReopen: a reopened journal gives back every result, bit for
// bit, and takes more.
func TestJournalReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	j, done := openJournal(t, path, false)
	wantTasks(t, done)
	appendAll(t, j, 2, 0)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, done = openJournal(t, path, false)
	wantTasks(t, done, 0, 2)
	appendAll(t, j, 1)
	j.Close()
	j, done = openJournal(t, path, false)
	wantTasks(t, done, 0, 1, 2)
	j.Close()
	j, done = openJournal(t, path, true) // -fresh
	wantTasks(t, done)
	if err := j.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("Remove left the journal: %v", err)
	}
}

// TestJournalTornTail: a last record cut short or damaged is ignored and
// cut off; the records before it are kept and new ones follow them.
func TestJournalTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	j, _ := openJournal(t, path, false)
	appendAll(t, j, 0)
	j.Close()
	whole, _ := os.ReadFile(path)
	j, _ = openJournal(t, path, false)
	appendAll(t, j, 1)
	j.Close()
	full, _ := os.ReadFile(path)
	for name, damage := range map[string]func([]byte) []byte{
		"cut":     func(b []byte) []byte { return b[:len(b)-3] },
		"head":    func(b []byte) []byte { return b[:len(whole)+5] },
		"flipped": func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
		"garbage": func(b []byte) []byte { return append(b[:len(whole)], strings.Repeat("\xff", 40)...) },
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path, damage(append([]byte(nil), full...)), 0o644); err != nil {
				t.Fatal(err)
			}
			j, done := openJournal(t, path, false)
			wantTasks(t, done, 0)
			if b, _ := os.ReadFile(path); string(b) != string(whole) {
				t.Errorf("torn tail not cut off: %d bytes, want %d", len(b), len(whole))
			}
			appendAll(t, j, 2)
			j.Close()
			j, done = openJournal(t, path, false)
			wantTasks(t, done, 0, 2)
			j.Close()
		})
	}
	// Torn inside the first record: the journal starts again.
	os.WriteFile(path, full[:20], 0o644)
	j, done := openJournal(t, path, false)
	wantTasks(t, done)
	j.Close()
}

// TestJournalRefuses: a journal of other parameters, or a file that is
// not a journal, is an error that says so, and is left as it was.
func TestJournalRefuses(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	j, _, err := jobkit.OpenJournal[result](other, "job n=4", false)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	text := filepath.Join(dir, "text")
	os.WriteFile(text, []byte("precious results\n"), 0o644)
	for path, msg := range map[string]string{other: "written by a job with other parameters", text: "not a journal"} {
		before, _ := os.ReadFile(path)
		_, _, err := jobkit.OpenJournal[result](path, "job n=3", false)
		if err == nil || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming it and saying %q", filepath.Base(path), err, msg)
		}
		if after, _ := os.ReadFile(path); string(after) != string(before) {
			t.Errorf("%s changed", filepath.Base(path))
		}
	}
}

// TestJournalNil: no path, no journal: a nil Journal that records nothing.
func TestJournalNil(t *testing.T) {
	j, done, err := jobkit.OpenJournal[result]("", "job", false)
	if j != nil || len(done) != 0 || err != nil {
		t.Fatalf("OpenJournal(\"\") = %v, %v, %v", j, done, err)
	}
	if err := j.Append(1, result{}); err != nil || j.Sync() != nil || j.Remove() != nil {
		t.Fatal("a nil Journal failed")
	}
}

func TestJournalPath(t *testing.T) {
	for _, c := range [][3]string{
		{"", "out.json", "out.json.journal"}, {"", "", ""}, {"", "/dev/null", ""},
		{"none", "out.json", ""}, {"j", "out.json", "j"},
	} {
		if got := jobkit.JournalPath(c[0], c[1]); got != c[2] {
			t.Errorf("JournalPath(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}
