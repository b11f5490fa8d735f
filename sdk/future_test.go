package mpichan

import (
	"errors"
	"sync"
	"testing"
)

// TestFutureConcurrentWaiters: many goroutines wait on one future and all
// see the same result, published safely (run with -race).
func TestFutureConcurrentWaiters(t *testing.T) {
	boom := errors.New("boom")
	release := make(chan struct{})
	f := newFuture(func() (int, bool, error) {
		<-release
		return 42, true, boom
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, ok, err := f.Wait()
			if v != 42 || !ok || !errors.Is(err, boom) {
				t.Errorf("Wait = %v, %v, %v", v, ok, err)
			}
		}()
	}
	select {
	case <-f.Done():
		t.Fatal("future done before its operation finished")
	default:
	}
	close(release)
	wg.Wait()
	<-f.Done()
}
