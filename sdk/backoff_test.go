package mpichan_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
)

func TestBackoffDelays(t *testing.T) {
	b := mpichan.Backoff{Yields: 2, Min: time.Microsecond, Max: 8 * time.Microsecond}
	want := []time.Duration{0, 0, 1000, 2000, 4000, 8000, 8000, 8000}
	for i, w := range want {
		if got := b.Delay(i); got != w {
			t.Errorf("Delay(%d) = %v, want %v", i, got, w)
		}
	}
}

func TestBackoffWaitCancelled(t *testing.T) {
	b := mpichan.Backoff{Min: time.Hour, Max: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- b.Wait(ctx, 5) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait after cancel: %v", err)
	}
	if err := b.Wait(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on a cancelled context: %v", err)
	}
}

// Backoff: the first retries only yield, then sleeps double up to Max.
func ExampleBackoff_Delay() {
	b := mpichan.Backoff{Yields: 1, Min: time.Millisecond, Max: 4 * time.Millisecond}
	for i := range 5 {
		fmt.Print(b.Delay(i), " ")
	}
	// Output: 0s 1ms 2ms 4ms 4ms
}
