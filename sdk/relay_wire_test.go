package mpichan

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzSplitMsgs checks the relay's wire format (relay.go): any list of
// messages, after a request's header words, reads back from the wire
// (splitMsgs of appendMsgs) as it was, with every message confined to
// its own bytes; and any bytes at all give splitMsgs either messages that
// appendMsgs writes back as a prefix of those bytes, or an error wrapping
// errFrame that says what it read, never a panic. The seeds run in every
// go test; go test -fuzz=FuzzSplitMsgs explores further.
func FuzzSplitMsgs(f *testing.F) {
	for _, list := range [][][]byte{nil, {{}}, {[]byte("one")}, {[]byte("a"), {}, []byte("ccc"), make([]byte, 300)}} {
		f.Add(appendMsgs(nil, list))
	}
	for _, raw := range [][]byte{
		{},                     // no count
		{1, 2, 3},              // a short count
		appendWords(nil, 1),    // one message, and no room for its length
		appendWords(nil, 2, 0), // two messages, one length
		appendWords(nil, -1),   // a negative count
		appendWords(nil, 1<<62),
		appendWords(nil, 1, -8), // a negative length
		appendWords(nil, 1, 9),  // a length past the end
		appendWords(nil, 2, 1<<62, 1<<62),
		append(appendWords(nil, 1, 2), "abc"...), // trailing bytes after the list
		[]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x00\x0b"),
	} {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		anyBytes(t, b)
		roundTrip(t, 1<<20|int64(len(b)), bytes.Split(b, []byte{0}))
		if len(b) == 0 {
			roundTrip(t, 0, nil)
		}
	})
}

// anyBytes: splitMsgs of b gives messages that appendMsgs writes back as
// a prefix of b, or a clear error.
func anyBytes(t *testing.T, b []byte) {
	msgs, err := splitMsgs(b)
	if err != nil {
		if !errors.Is(err, errFrame) || !strings.Contains(err.Error(), "relay message list of") {
			t.Fatalf("splitMsgs(%x): error %v, want errFrame naming the list", b, err)
		}
		return
	}
	again := appendMsgs(nil, msgs)
	if !bytes.HasPrefix(b, again) || len(again) != msgsBytes(msgs) {
		t.Fatalf("splitMsgs(%x) = %q, which appendMsgs writes as %x", b, msgs, again)
	}
}

// roundTrip: a put request of msgs (header words, then the list) reads
// back as it was sent, and each message read is confined to its own bytes.
func roundTrip(t *testing.T, arg int64, msgs [][]byte) {
	req := appendMsgs(appendWords(nil, opPut, tagFirst, arg), msgs)
	if len(req) != 8*headWords+msgsBytes(msgs) {
		t.Fatalf("a request of %d messages is %d bytes, msgsBytes says %d", len(msgs), len(req), 8*headWords+msgsBytes(msgs))
	}
	if op, tag, a := wordAt(req, 0), wordAt(req, 1), wordAt(req, 2); op != opPut || tag != tagFirst || a != arg {
		t.Fatalf("header read back as %d %d %d, want %d %d %d", op, tag, a, opPut, tagFirst, arg)
	}
	got, err := splitMsgs(req[8*headWords:])
	if err != nil {
		t.Fatalf("splitMsgs of %d messages: %v", len(msgs), err)
	}
	if len(got) != len(msgs) {
		t.Fatalf("%d messages read back as %d", len(msgs), len(got))
	}
	for i := range msgs {
		if !bytes.Equal(got[i], msgs[i]) {
			t.Fatalf("message %d read back as %q, want %q", i, got[i], msgs[i])
		}
	}
	if len(got) > 1 {
		second := string(got[1])
		_ = append(got[0], 0xEE) // must not write into the next message
		if string(got[1]) != second {
			t.Fatalf("appending to message 0 changed message 1 to %q", got[1])
		}
	}
}
