package rma

/*
#cgo noescape msg_send
#cgo nocallback msg_send
#cgo noescape msg_recv
#cgo nocallback msg_recv
#include "lib.h"
#include "rma.h"
*/
import "C"

import (
	"fmt"
	"math"
)

// virtualNodes is how many nodes Node makes of each real node (see
// SplitNodes); 0 or 1 leaves the real nodes.
var virtualNodes int

// SplitNodes makes every later Node split each node's ranks into k virtual
// nodes, world rank r on virtual node r mod k, so that ranks on one host
// take the paths they take across nodes (k < 2: the real nodes). Call it
// before any channel is made, with the same k on every rank.
func SplitNodes(k int) { virtualNodes = k }

// Node splits c by node (collective): node holds the ranks of c that share
// this rank's node (or virtual node, SplitNodes), in c's order; one reports
// whether that is every rank of c; hostLocal is rank host's rank in node,
// or -1 when host is elsewhere.
func (c *Comm) Node(host int) (node *Comm, one bool, hostLocal int, err error) {
	var out Comm
	var o, h C.int
	if err := check("MPI_Comm_split_type", C.rma_node(c.c, C.int(host), C.int(virtualNodes), &out.c, &o, &h)); err != nil {
		return nil, false, 0, err
	}
	return &out, o != 0, int(h), nil
}

// Send sends buf to rank dest of c with tag (MPI_Send: it returns once buf
// may be reused).
func (c *Comm) Send(dest, tag int, buf []byte) error {
	if len(buf) > math.MaxInt32 {
		return fmt.Errorf("mpichan: a message of %d bytes is too long for one MPI_Send", len(buf))
	}
	return check("MPI_Send", C.msg_send(c.c, C.int(dest), C.int(tag), bytesPtr(buf), C.int(len(buf))))
}

// Message is a message that Probe found and that only Recv can receive.
type Message struct {
	m    C.MPI_Message
	From int // the sender's rank
	Len  int // bytes
}

// Probe looks, without waiting, for a message from source (AnySource for
// any) with tag, and claims it for Recv: ok is false when there is none.
func (c *Comm) Probe(source, tag int, m *Message) (ok bool, err error) {
	var found, from, n C.int
	if err := check("MPI_Improbe", C.msg_probe(c.c, C.int(source), C.int(tag), &found, &m.m, &from, &n)); err != nil {
		return false, err
	}
	m.From, m.Len = int(from), int(n)
	return found != 0, nil
}

// Recv receives the message Probe found into buf (m.Len bytes).
func (m *Message) Recv(buf []byte) error {
	return check("MPI_Mrecv", C.msg_recv(&m.m, bytesPtr(buf), C.int(len(buf))))
}

// AnySource is MPI_ANY_SOURCE.
const AnySource = int(C.MPI_ANY_SOURCE)
