package mpichan

import (
	"bytes"
	"sync"
	"testing"
	"unsafe"
)

// Buffers cut from the slab never overlap, are 8-byte aligned and hold
// what their goroutine wrote, however many goroutines cut at once.
func TestSlab(t *testing.T) {
	var s slab
	const workers, each, n = 8, 500, 72
	got := make([][][]byte, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				b := s.get(n)
				if len(b) != n || cap(b) != n || uintptr(unsafe.Pointer(&b[0]))%8 != 0 {
					t.Errorf("buffer of len %d, cap %d at %p", len(b), cap(b), &b[0])
					return
				}
				for i := range b {
					b[i] = byte(w)
				}
				got[w] = append(got[w], b)
			}
		}()
	}
	wg.Wait()
	for w, bufs := range got {
		for _, b := range bufs {
			if !bytes.Equal(b, bytes.Repeat([]byte{byte(w)}, n)) {
				t.Fatalf("worker %d's buffer was overwritten: %v", w, b)
			}
		}
	}
	if b := s.get(slabMax + 8); len(b) != slabMax+8 {
		t.Fatalf("large buffer has %d bytes", len(b))
	}
}

// A buffer given back at once is the next one cut; one given back after
// another was cut is not.
func TestSlabUnget(t *testing.T) {
	var s slab
	a := s.get(72)
	s.unget(a)
	if b := s.get(72); &b[0] != &a[0] {
		t.Fatalf("buffer given back at once was not cut again")
	}
	c := s.get(72)
	d := s.get(72)
	s.unget(c)
	if e := s.get(72); &e[0] == &c[0] || &e[0] == &d[0] {
		t.Fatalf("buffer given back after another was cut was handed out again")
	}
}
