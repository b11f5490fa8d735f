package mpichan

import (
	"bytes"
	"testing"
)

// FuzzFrames: any message survives encoding into frames and decoding, and
// decoding arbitrary slot bytes never panics. The seed corpus runs in every
// `go test`; `go test -fuzz=FuzzFrames` explores further.
func FuzzFrames(f *testing.F) {
	f.Add([]byte{}, 8)
	f.Add([]byte("x"), 1)
	f.Add([]byte("exactly16bytes!!"), 16)
	f.Add(bytes.Repeat([]byte{0xAB}, 1000), 64)
	f.Add([]byte("a message that spans three frames"), 13)
	f.Fuzz(func(t *testing.T, msg []byte, frameSize int) {
		if frameSize < 1 || frameSize > 4096 {
			t.Skip()
		}
		l := newLayout(frameSize)
		k := l.frames(len(msg))
		buf := make([]byte, k*l.slotSize)
		if got := l.encode(buf, msg); got != k {
			t.Fatalf("encode: %d frames, want %d", got, k)
		}
		if c, err := l.count(buf); err != nil || c != k {
			t.Fatalf("count: %d, %v; want %d", c, err, k)
		}
		out, err := l.decode(buf, false)
		if err != nil || !bytes.Equal(out, msg) {
			t.Fatalf("round trip: %q, %v; want %q", out, err, msg)
		}
		// Corrupt slots must give an error, not a panic or a wrong length.
		if len(msg) > 0 {
			bad := bytes.Clone(buf)
			bad[len(bad)-1-l.slotSize/2] ^= 0xFF
			bad[0] ^= msg[0] | 1
			if out, err := l.decode(bad, false); err == nil && len(out) > len(buf) {
				t.Fatalf("decoded %d bytes from %d bytes of slots", len(out), len(buf))
			}
		}
		if _, err := l.decode(msg, true); err == nil && len(msg)%l.slotSize != 0 {
			t.Fatalf("decoded slots of a bad length (%d bytes)", len(msg))
		}
	})
}

func TestFrameErrors(t *testing.T) {
	l := newLayout(8)
	buf := make([]byte, 2*l.slotSize)
	l.encode(buf, []byte("0123456789"))
	for name, mutate := range map[string]func(b []byte){
		"count 0":            func(b []byte) { b[4] = 0 },
		"count too high":     func(b []byte) { b[4] = 3 },
		"size > frame":       func(b []byte) { b[0] = 9 },
		"later frame counts": func(b []byte) { b[l.slotSize+4] = 1 },
		"short inner frame":  func(b []byte) { b[0] = 7 },
	} {
		b := bytes.Clone(buf)
		mutate(b)
		if _, err := l.decode(b, false); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}
