package mpichan

// FetchAddOnRank makes a raw fetch-and-add on the channel's window at target,
// so that a test can provoke an error of MPI's own (a rank that is not there).
func FetchAddOnRank[T any](c *Channel[T], target int) error {
	_, err := c.r.win.FetchAdd(target, 0, 0)
	return err
}
