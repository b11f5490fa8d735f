package mpichan

import (
	"encoding/binary"
	"fmt"
)

// The relay: across nodes, a channel lives on its host's node only. Ranks
// on that node reach it through a window over the node (shared memory),
// and every other rank through two-sided messages to the host, where a
// relay server (relay_server.go) runs each request with the ring's own
// steps and answers at once, never waiting for a full or empty channel.
// A client (relay_client.go) waits for the answer to every request it
// sent, so nothing a request took is lost. docs/DESIGN.md has the
// protocol and its argument.
//
// A request is the words op, reply tag, argument, then (opPut) a list of
// messages or (opFail) the failure's text; an answer is the words code,
// value, then (opTake: messages; opState: the state; rErr, rFailed: the
// error's text) a body. Words are int64,
// little-endian; a list of messages is its length, each message's length,
// then the messages' bytes one after another.

// Requests.
const (
	opTake  = iota + 1 // argument: at most this many messages; value: messages waiting
	opPut              // body: the messages, put as one batch
	opClaim            // argument: messages claimed
	opClose
	opState
	opFail // argument: the failing rank; body: its error's text
	opDone // argument: tasks marked done
)

// Answers.
const (
	rOK       = iota
	rEmpty    // no message now (take): nothing changed
	rNoneLeft // no message now, and none will come (take)
	rFull     // no room now (put): nothing changed
	rClosed   // the channel is closed (put): nothing changed
	rErr      // the host failed: the body says why
	rFailed   // a rank failed the channel (value); the body is its text
)

// Tags on the channel's communicator: requests go to the host with
// tagRequest, and each answer comes back with the tag its request named,
// one the client picked from tagFirst..tagFirst+tagSpan-1 (MPI promises
// tags up to 32767), so concurrent requests from one rank get their own.
const (
	tagRequest = 1
	tagFirst   = 2
	tagSpan    = 30000
)

const headWords = 3 // a request's op, reply tag, argument; an answer uses 2

func appendWords(b []byte, ws ...int64) []byte {
	for _, w := range ws {
		b = binary.LittleEndian.AppendUint64(b, uint64(w))
	}
	return b
}

func wordAt(b []byte, i int) int64 { return int64(binary.LittleEndian.Uint64(b[8*i:])) }

// msgsBytes is the size of msgs as a list.
func msgsBytes(msgs [][]byte) int {
	n := 8 * (1 + len(msgs))
	for _, m := range msgs {
		n += len(m)
	}
	return n
}

// appendMsgs appends msgs as a list.
func appendMsgs(b []byte, msgs [][]byte) []byte {
	b = appendWords(b, int64(len(msgs)))
	for _, m := range msgs {
		b = appendWords(b, int64(len(m)))
	}
	for _, m := range msgs {
		b = append(b, m...)
	}
	return b
}

// splitMsgs reads a list of messages; they share b's memory.
func splitMsgs(b []byte) ([][]byte, error) {
	bad := fmt.Errorf("%w: relay message list of %d bytes", errFrame, len(b))
	if len(b) < 8 {
		return nil, bad
	}
	n := wordAt(b, 0)
	if n < 0 || n >= int64(len(b)/8) { // room for the count and n lengths
		return nil, bad
	}
	at := 8 * (1 + int(n))
	msgs := make([][]byte, n)
	for i := range msgs {
		l := wordAt(b, 1+i)
		if l < 0 || l > int64(len(b)-at) {
			return nil, bad
		}
		msgs[i] = b[at : at+int(l) : at+int(l)]
		at += int(l)
	}
	return msgs, nil
}
