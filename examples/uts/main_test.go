package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mpichan/mpichan/sdk/mpitest"
)

// launches are the parallel runs TestPublishedCounts makes: each tree on
// the rank counts given, and the small tree again with a batch of one
// node and a look at the channel after every node, so that nearly every
// node goes through the channel.
var launches = []struct {
	tree  string
	ranks []int
	flags []string
}{
	{"default", []int{1, 2, 4}, nil},
	{"default", []int{2, 4}, []string{"-chunk=1", "-poll=1"}},
	{"T5", []int{1, 2, 4}, nil},
	{"T1", []int{4}, nil},
	{"T3", []int{2}, nil},
}

// TestPublishedCounts runs the example on 1, 2 and 4 ranks: the counts it
// prints must be the published ones, and it must exit with status 0
// (it checks them itself). Then again with the ranks acting as 2 nodes,
// through the relay (MPICHAN_VIRTUAL_NODES=2), unless the launches go
// across the test hosts, where real nodes take the relay anyway.
func TestPublishedCounts(t *testing.T) {
	exe := mpitest.Build(t, ".")
	t.Run("one node", func(t *testing.T) { publishedCounts(t, exe) })
	if mpitest.AcrossHosts() {
		return
	}
	t.Run("relayed", func(t *testing.T) {
		t.Setenv("MPICHAN_VIRTUAL_NODES", "2")
		publishedCounts(t, exe)
	})
}

// publishedCounts is one round of TestPublishedCounts' launches.
func publishedCounts(t *testing.T, exe string) {
	for _, l := range launches {
		for _, n := range l.ranks {
			name := fmt.Sprintf("%s/ranks=%d%s", l.tree, n, strings.Join(l.flags, ""))
			t.Run(name, func(t *testing.T) {
				out, err := mpitest.LaunchJob(n, exe, append([]string{"-tree", l.tree}, l.flags...)...)
				if err != nil {
					t.Fatalf("%v\n%s", err, out)
				}
				s := samples[l.tree]
				want := fmt.Sprintf("uts: tree=%s nodes=%d leaves=%d depth=%d ranks=%d ", l.tree, s.Nodes, s.Leaves, s.Depth, n)
				if strings.Count(out, want) != 1 || strings.Count(out, "uts: ") != 1 {
					t.Errorf("want one line starting %q:\n%s", want, out)
				}
				if !strings.Contains(out, " messages=") {
					t.Errorf("no message count:\n%s", out)
				}
			})
		}
	}
}

// TestBadTree: an unknown tree gives one clear message and exit status 2.
func TestBadTree(t *testing.T) {
	exe := mpitest.Build(t, ".")
	out, err := mpitest.LaunchJob(2, exe, "-tree", "T9")
	if err == nil {
		t.Fatalf("exit status 0 with -tree T9:\n%s", out)
	}
	if strings.Count(out, `-tree "T9": no such sample tree (have T1, T3, T5, default)`) != 1 {
		t.Errorf("want the error once (from rank 0):\n%s", out)
	}
}

// TestReportChecks: report prints the counts and fails when they differ
// from the published ones.
func TestReportChecks(t *testing.T) {
	s := samples["default"]
	var b bytes.Buffer
	good := counts{Nodes: s.Nodes, Leaves: s.Leaves, Depth: s.Depth}
	if err := report(&b, "default", s, good, 4, 2, time.Second); err != nil {
		t.Errorf("published counts: %v", err)
	}
	want := "uts: tree=default nodes=1732 leaves=1050 depth=6 ranks=2 time=1.000s nodes_per_s=1732 messages=4 nodes_per_message=433.0 messages_per_s=4\n"
	if b.String() != want {
		t.Errorf("printed %q, want %q", b.String(), want)
	}
	bad := good
	bad.Leaves--
	if err := report(&b, "default", s, bad, 4, 2, time.Second); err == nil || !strings.Contains(err.Error(), "leaves=1049") {
		t.Errorf("one leaf short: %v, want an error naming the count", err)
	}
}
