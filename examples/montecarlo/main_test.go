package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpichan/mpichan/sdk/mpitest"
)

// TestBitIdentical runs the example on 1, 2 and 4 ranks: the price and its
// standard error must equal a sequential run's bit for bit.
func TestBitIdentical(t *testing.T) {
	exe := mpitest.Build(t, ".")
	o := option{Spot: 100, Strike: 95, Rate: 0.03, Vol: 0.3, Maturity: 0.5}
	const tasks, samples, seed = 37, 4000, 7
	want := sequential(o, seed, tasks, samples)
	args := []string{"-spot=100", "-strike=95", "-rate=0.03", "-vol=0.3", "-maturity=0.5",
		fmt.Sprint("-tasks=", tasks), fmt.Sprint("-samples=", samples), fmt.Sprint("-seed=", seed), "-progress=lines"}
	for _, n := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("ranks=%d", n), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "price.json")
			out, err := mpitest.LaunchJob(n, exe, append(args, "-out", path)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var got estimate
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			// Field names are snake_case throughout, the option's too.
			var keys struct{ Option map[string]float64 }
			if err := json.Unmarshal(b, &keys); err != nil || keys.Option["spot"] != 100 || keys.Option["maturity"] != 0.5 || !strings.Contains(string(b), `"std_err"`) {
				t.Errorf("JSON field names: %v\n%s", err, b)
			}
			if math.Float64bits(got.Price) != math.Float64bits(want.Price) || math.Float64bits(got.StdErr) != math.Float64bits(want.StdErr) {
				t.Errorf("price %v ± %v, sequential run %v ± %v", got.Price, got.StdErr, want.Price, want.StdErr)
			}
			if got.Ranks != n || got.Paths != tasks*samples {
				t.Errorf("ranks %d, paths %d in %s", got.Ranks, got.Paths, b)
			}
			for _, s := range []string{"Black-Scholes:", "standard errors", fmt.Sprintf("montecarlo: %d/%d tasks (100%%)", tasks, tasks)} {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
		})
	}
}

// TestBadFlag: a bad flag gives one clear message, a non-zero exit and no
// output file.
func TestBadFlag(t *testing.T) {
	exe := mpitest.Build(t, ".")
	path := filepath.Join(t.TempDir(), "price.json")
	out, err := mpitest.LaunchJob(2, exe, "-tasks=10", "-vol=-0.2", "-out", path)
	if err == nil {
		t.Fatalf("exit status 0 with -vol=-0.2:\n%s", out)
	}
	if strings.Count(out, "montecarlo: -vol -0.2: must be a positive number") != 1 {
		t.Errorf("want the error once (from rank 0):\n%s", out)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("output file exists after a failed run: %v", err)
	}
}

// TestAgreesWithBlackScholes checks the estimator in-process: a price
// within 4 standard errors of the formula, with a plausible error.
func TestAgreesWithBlackScholes(t *testing.T) {
	e := sequential(option{Spot: 100, Strike: 110, Rate: 0.05, Vol: 0.2, Maturity: 1}, 1, 20, 10_000)
	if math.Abs(e.Z) > 4 || !(e.StdErr > 0 && e.StdErr < 0.1) {
		t.Errorf("price %v ± %v, Black-Scholes %v (z = %.2f)", e.Price, e.StdErr, e.Exact, e.Z)
	}
	if got, want := e.Exact, 6.040088; math.Abs(got-want) > 1e-6 {
		t.Errorf("Black-Scholes price %v, want %v", got, want)
	}
}

// sequential is the whole computation in one process: the reference that
// a run on any number of ranks must match bit for bit.
func sequential(o option, seed uint64, tasks, samples int) estimate {
	perTask := make([]taskResult, tasks)
	for id := range perTask {
		perTask[id] = simulateTask(o, seed, int64(id), samples)
	}
	return combine(o, seed, samples, perTask)
}
