package main

// expand traverses the subtree below the nodes on stack, depth first, in
// one goroutine, and returns its counts. It is the whole of -seq, and the
// local work of a rank between the channel's batches.
func (p *params) expand(stack []node) counts {
	var c counts
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		k := p.children(&n)
		c.add(&n, k)
		for i := range k {
			stack = append(stack, n.child(i))
		}
	}
	return c
}
