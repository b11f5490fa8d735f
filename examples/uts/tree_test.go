package main

import "testing"

func TestSampleTreesSequential(t *testing.T) {
	for name, s := range samples {
		if testing.Short() && s.Nodes > 100_000 {
			continue
		}
		t.Run(name, func(t *testing.T) {
			c := s.expand([]node{s.root()})
			if err := c.check(s); err != nil {
				t.Fatal(err)
			}
		})
	}
}
