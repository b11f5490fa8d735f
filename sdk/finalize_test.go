package mpichan

import "testing"

// TestFinalizers checks the registry that Finalize empties: each shutdown
// runs once, oldest first, and a forgotten or stopped one not again.
func TestFinalizers(t *testing.T) {
	var ran []string
	a, b, c := new(int), new(int), new(int)
	onFinalize(a, func() { ran = append(ran, "a") })
	onFinalize(b, func() { ran = append(ran, "b") })
	onFinalize(c, func() { ran = append(ran, "c") })
	stopNow(b)
	forget(c)
	stopNow(b)
	if n := stopAll(); n != 1 {
		t.Fatalf("stopAll ran %d shutdowns, want 1 (a)", n)
	}
	if stopAll() != 0 || len(ran) != 2 || ran[0] != "b" || ran[1] != "a" {
		t.Fatalf("ran %v, want [b a]", ran)
	}
}
