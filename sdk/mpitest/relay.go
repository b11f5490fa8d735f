package mpitest

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
)

// envNodes is mpichan's setting that makes the ranks of each node act as
// several nodes (MPICHAN_VIRTUAL_NODES=k: world rank r on virtual node r
// mod k), so that channels take the paths they take across nodes.
const envNodes = "MPICHAN_VIRTUAL_NODES"

// relayNodes is how many virtual nodes RunRelayedToo makes of the host.
const relayNodes = 2

// relayScale is the share of a message count that Scaled keeps on virtual
// nodes, where a relayed put or take is a request to the host's relay
// server and its answer.
const relayScale = 0.25

// RunRelayedToo runs body as Run does (subtest "one node"), then again with
// the ranks acting as 2 nodes, rank r on node r mod 2 (subtest "relayed":
// MPICHAN_VIRTUAL_NODES=2), so that the ranks off a channel's host node
// reach it through the host's relay server, as across real nodes, on one
// host and without root. Before body, the relayed launch checks that a
// channel hosted on rank 0 is reached through the relay by exactly the
// ranks off rank 0's node. Across the test hosts (MPICHAN_HOSTS), where
// real nodes take the relay, it is Run.
func RunRelayedToo(t *testing.T, n int, body func(t *testing.T)) {
	t.Helper()
	if AcrossHosts() {
		Run(t, n, body)
		return
	}
	t.Run("one node", func(t *testing.T) { Run(t, n, body) })
	t.Run("relayed", func(t *testing.T) { RunNodes(t, n, relayNodes, body) })
}

// RunNodes is Run with the ranks acting as separate nodes, world rank r on
// node r mod nodes (MPICHAN_VIRTUAL_NODES=nodes in the launch's
// environment), after the check that a channel hosted on rank 0 is relayed
// to exactly the ranks off its node.
func RunNodes(t *testing.T, n, nodes int, body func(t *testing.T)) {
	t.Helper()
	want := strconv.Itoa(nodes)
	if Worker() && os.Getenv(envNodes) != want {
		t.Fatalf("mpitest: launched with %s=%q, test wants %s", envNodes, os.Getenv(envNodes), want)
	}
	run(t, n, []string{envNodes + "=" + want}, func(t *testing.T) {
		relayInUse(t, nodes)
		body(t)
	})
}

// relayInUse fails t unless a channel hosted on rank 0 is reached through
// its relay server (Stats.Requests) by exactly the ranks off rank 0's
// virtual node, rank r being on node r mod nodes.
func relayInUse(t *testing.T, nodes int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rank := mpichan.Rank()
	ch, err := mpichan.New[int](mpichan.World(), mpichan.Options{Capacity: mpichan.Size(), FrameSize: 8})
	if err != nil {
		t.Fatalf("rank %d: New: %v", rank, err)
	}
	if err := ch.Put(ctx, rank); err != nil {
		t.Fatalf("rank %d: put: %v", rank, err)
	}
	if _, ok, err := ch.Take(ctx); !ok || err != nil {
		t.Fatalf("rank %d: take: %v, %v", rank, ok, err)
	}
	requests := ch.Stats().Requests
	if err := ch.Free(ctx); err != nil {
		t.Fatalf("rank %d: Free: %v", rank, err)
	}
	t.Logf("rank %d: %d requests to the relay server of rank 0", rank, requests)
	if relayed := rank%nodes != 0; (requests > 0) != relayed {
		t.Fatalf("rank %d: %d requests to the relay server of rank 0; want some exactly on the ranks off its node (rank %% %d != 0)",
			rank, requests, nodes)
	}
}
