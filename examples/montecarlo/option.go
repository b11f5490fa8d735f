package main

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// option is a European call: the right to buy at Strike, at time Maturity
// (years), a stock now at Spot whose log-price moves with volatility Vol,
// when money earns Rate (continuously compounded).
type option struct {
	Spot     float64 `json:"spot"`
	Strike   float64 `json:"strike"`
	Rate     float64 `json:"rate"`
	Vol      float64 `json:"vol"`
	Maturity float64 `json:"maturity"`
}

func (o option) check() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"spot", o.Spot}, {"strike", o.Strike}, {"vol", o.Vol}, {"maturity", o.Maturity}} {
		if !(p.v > 0) || math.IsInf(p.v, 0) {
			return fmt.Errorf("-%s %v: must be a positive number", p.name, p.v)
		}
	}
	if math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) {
		return fmt.Errorf("-rate %v: must be a number", o.Rate)
	}
	return nil
}

// taskResult is what one task sends back: the sum and the sum of squares
// of its discounted payoffs. It is a plain struct, so the channel sends it
// as raw memory.
type taskResult struct {
	ID         int64
	Sum, SumSq float64
}

// simulateTask prices o with samples paths drawn from a generator seeded
// by (seed, id) alone, so a task gives the same bits on any rank.
func simulateTask(o option, seed uint64, id int64, samples int) taskResult {
	rng := rand.New(rand.NewPCG(seed, uint64(id)))
	drift := (o.Rate - o.Vol*o.Vol/2) * o.Maturity
	diffusion := o.Vol * math.Sqrt(o.Maturity)
	discount := math.Exp(-o.Rate * o.Maturity)
	var sum, sumSq float64
	for range samples {
		price := o.Spot * math.Exp(drift+diffusion*rng.NormFloat64())
		payoff := discount * max(price-o.Strike, 0)
		sum += payoff
		sumSq += payoff * payoff
	}
	return taskResult{ID: id, Sum: sum, SumSq: sumSq}
}

// estimate is the Monte Carlo price with its standard error, next to the
// Black-Scholes price.
type estimate struct {
	Price    float64 `json:"price"`
	StdErr   float64 `json:"std_err"`
	Exact    float64 `json:"black_scholes"`
	Z        float64 `json:"z"` // (Price - Exact) / StdErr
	Paths    int64   `json:"paths"`
	Tasks    int     `json:"tasks"`
	Samples  int     `json:"samples_per_task"`
	Seed     uint64  `json:"seed"`
	Ranks    int     `json:"ranks"`
	Seconds  float64 `json:"seconds"`
	Contract option  `json:"option"`
}

// combine adds up per-task results in task order, so that the sum, and so
// the price, is the same bits whatever order the tasks finished in.
func combine(o option, seed uint64, samples int, perTask []taskResult) estimate {
	var sum, sumSq float64
	for _, r := range perTask {
		sum += r.Sum
		sumSq += r.SumSq
	}
	n := float64(len(perTask) * samples)
	mean := sum / n
	variance := max(sumSq/n-mean*mean, 0) * n / (n - 1)
	e := estimate{Price: mean, StdErr: math.Sqrt(variance / n), Exact: blackScholes(o),
		Paths: int64(len(perTask) * samples), Tasks: len(perTask), Samples: samples, Seed: seed, Contract: o}
	e.Z = (e.Price - e.Exact) / e.StdErr
	return e
}

// blackScholes is the exact price of a European call.
func blackScholes(o option) float64 {
	sd := o.Vol * math.Sqrt(o.Maturity)
	d1 := (math.Log(o.Spot/o.Strike) + (o.Rate+o.Vol*o.Vol/2)*o.Maturity) / sd
	d2 := d1 - sd
	return o.Spot*normCDF(d1) - o.Strike*math.Exp(-o.Rate*o.Maturity)*normCDF(d2)
}

func normCDF(x float64) float64 { return math.Erfc(-x/math.Sqrt2) / 2 }
