package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// kind is a tree's type: how many children a node has.
type kind int

const (
	binomial  kind = iota // every node but the root has m children with probability q, else none
	geometric             // a node's children follow a geometric law whose mean the shape sets by depth
	hybrid                // geometric down to depth shift*d, binomial below
)

// shape is how a geometric tree's mean branching factor changes with depth.
type shape int

const (
	linear shape = iota // b0 * (1 - depth/d)
	expdec              // b0 * depth^(-ln b0 / ln d)
	cyclic              // b0^sin(2π depth/d), nothing below 5d
	fixed               // b0 down to depth d, nothing below
)

// maxChildren bounds the children of any node but a binomial root.
const maxChildren = 100

// params describes one tree, as the benchmark's command line does.
type params struct {
	Kind  kind
	Shape shape
	B0    float64 // the root's branching factor (geometric: mean)
	D     int     // geometric: the depth the shape is scaled to
	Q     float64 // binomial: the probability that a node has children
	M     int     // binomial: how many children such a node has
	Shift float64 // hybrid: the fraction of d at which the tree turns binomial
	Seed  int32   // the root's seed
}

// sample is a published tree and the counts a correct traversal finds.
type sample struct {
	params
	Nodes, Leaves int64
	Depth         int
}

// samples are the benchmark's published sample trees, by name.
var samples = map[string]sample{
	"default": {params{Kind: geometric, Shape: linear, B0: 4, D: 6, Q: 15.0 / 64, M: 4, Shift: 0.5, Seed: 0}, 1732, 1050, 6},
	"T1":      {params{Kind: geometric, Shape: fixed, B0: 4, D: 10, Seed: 19}, 4130071, 3305118, 10},
	"T3":      {params{Kind: binomial, B0: 2000, Q: 0.124875, M: 8, Seed: 42}, 4112897, 3599034, 1572},
	"T5":      {params{Kind: geometric, Shape: linear, B0: 4, D: 20, Seed: 34}, 4147582, 2181318, 20},
}

// sampleNames lists the names samples accepts, sorted.
func sampleNames() string {
	var names []string
	for n := range samples {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// lookup returns the sample tree called name.
func lookup(name string) (sample, error) {
	s, ok := samples[name]
	if !ok {
		return sample{}, fmt.Errorf("-tree %q: no such sample tree (have %s)", name, sampleNames())
	}
	return s, nil
}

// node is one node of the tree: all a rank needs to expand it.
type node struct {
	State  state
	Height int32
}

// root is the tree's root.
func (p *params) root() node { return node{State: rootState(p.Seed)} }

// children is how many children n has.
func (p *params) children(n *node) int {
	var k int
	switch {
	case p.Kind == binomial && n.Height == 0:
		return int(math.Floor(p.B0))
	case p.Kind == binomial, p.Kind == hybrid && float64(n.Height) >= p.Shift*float64(p.D):
		if n.State.prob() < p.Q {
			k = p.M
		}
	default:
		k = p.geometricChildren(n)
	}
	return min(k, maxChildren)
}

// geometricChildren draws from the geometric law whose mean is the shape's
// branching factor at n's depth, by inverting its distribution function.
func (p *params) geometricChildren(n *node) int {
	b := p.B0
	if depth := float64(n.Height); depth > 0 {
		d := float64(p.D)
		switch p.Shape {
		case expdec:
			b = p.B0 * math.Pow(depth, -math.Log(p.B0)/math.Log(d))
		case cyclic:
			if depth > 5*d {
				b = 0
			} else {
				b = math.Pow(p.B0, math.Sin(2*math.Pi*depth/d))
			}
		case fixed:
			if depth >= d {
				b = 0
			}
		default:
			b = p.B0 * (1 - depth/d)
		}
	}
	q := 1 / (1 + b)
	return int(math.Floor(math.Log(1-n.State.prob()) / math.Log(1-q)))
}

// child is child i of n.
func (n *node) child(i int) node {
	return node{State: n.State.spawn(i), Height: n.Height + 1}
}

// counts are what a traversal found.
type counts struct {
	Nodes, Leaves int64
	Depth         int
}

// add counts one expanded node with k children.
func (c *counts) add(n *node, k int) {
	c.Nodes++
	if k == 0 {
		c.Leaves++
	}
	c.Depth = max(c.Depth, int(n.Height))
}

// check compares c with the published counts of s.
func (c counts) check(s sample) error {
	if c.Nodes != s.Nodes || c.Leaves != s.Leaves || c.Depth != s.Depth {
		return fmt.Errorf("counted nodes=%d leaves=%d depth=%d, published nodes=%d leaves=%d depth=%d",
			c.Nodes, c.Leaves, c.Depth, s.Nodes, s.Leaves, s.Depth)
	}
	return nil
}
