package mpichan

// Future is the result of an operation started with PutF or TakeF.
type Future[V any] struct {
	done chan struct{}
	v    V
	ok   bool
	err  error
}

func newFuture[V any](run func() (V, bool, error)) *Future[V] {
	f := &Future[V]{done: make(chan struct{})}
	go func() {
		f.v, f.ok, f.err = run()
		close(f.done)
	}()
	return f
}

// Done is closed when the operation has finished.
func (f *Future[V]) Done() <-chan struct{} { return f.done }

// Wait blocks until the operation has finished and returns its result. For
// a take, ok is false when no message is left; for a put, ok is true when
// err is nil.
func (f *Future[V]) Wait() (v V, ok bool, err error) {
	<-f.done
	return f.v, f.ok, f.err
}
