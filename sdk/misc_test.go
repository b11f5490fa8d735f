package mpichan_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
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

func TestErrorsAreTestable(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &mpichan.MismatchError{Param: "capacity", Min: "1", Max: "2"})
	var me *mpichan.MismatchError
	if !errors.Is(err, mpichan.ErrMismatch) || !errors.As(err, &me) || me.Max != "2" {
		t.Fatalf("MismatchError is not testable: %v", err)
	}
	de := &mpichan.DecodeError{Codec: "x", Err: context.Canceled}
	if !errors.Is(de, context.Canceled) {
		t.Fatal("DecodeError does not unwrap")
	}
}

func TestNotInitialized(t *testing.T) {
	if mpitest.Worker() {
		t.Skip("MPI is running in this process")
	}
	if _, err := mpichan.New[int](nil, mpichan.Options{}); !errors.Is(err, mpichan.ErrNotInitialized) {
		t.Fatalf("New before Init: %v", err)
	}
	for name, f := range map[string]func(){
		"World": func() { mpichan.World() },
		"Rank":  func() { mpichan.Rank() },
		"Size":  func() { mpichan.Size() },
	} {
		func() {
			defer func() {
				if err, _ := recover().(error); !errors.Is(err, mpichan.ErrNotInitialized) {
					t.Errorf("%s before Init: panic %v, want ErrNotInitialized", name, err)
				}
			}()
			f()
		}()
	}
	if err := mpichan.Finalize(); err != nil {
		t.Fatalf("Finalize without Init: %v", err)
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

// TestWorldSizeMismatch: a job launched with fewer ranks than the launcher
// was asked for (MPICHAN_EXPECT_SIZE) fails in Init with a clear error.
func TestWorldSizeMismatch(t *testing.T) {
	if mpitest.Worker() || testing.Short() {
		t.Skip("launches MPI itself")
	}
	t.Setenv("MPICHAN_EXPECT_SIZE", "5")
	out, err := mpitest.Launch(2, os.Args[0], "-test.run=^TestFIFO$")
	if err == nil || !strings.Contains(out, "MPI world size is 2 but 5 tasks were launched") {
		t.Fatalf("launch with MPICHAN_EXPECT_SIZE=5 on 2 ranks: err=%v\n%s", err, out)
	}
}
