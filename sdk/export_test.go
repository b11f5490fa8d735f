package mpichan

// FetchAddOnRank makes a raw fetch-and-add on the channel's window at target,
// so that a test can provoke an error of MPI's own (a rank that is not there).
func FetchAddOnRank[T any](c *Channel[T], target int) error {
	w, ok := c.r.t.(*window)
	if !ok || w.win.Mapped() { // a relay client or mapped memory: a message to the rank instead
		return c.r.comm.Send(target, 1, nil)
	}
	_, err := w.win.FetchAdd(target, 0, 0)
	return err
}

// HeapFloor is the heap floor Init reserved (nil for none).
func HeapFloor() []byte { return heapFloor }
