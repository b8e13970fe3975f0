package workloads

import "math/big"

// CPU is cpu_intensive_task of the Python multiprocessing examples: Σ i·i for i in [0, n), in uint64
// arithmetic, run on a list of equal tasks (pool.map(cpu_intensive_task,
// [1000000] * 4) scaled up).
var CPU = &Workload{
	Name: "cpu",
	Doc:  "cpu_intensive_task(n) = Σ i·i for i < n; coarse tasks, pure compute (defaults: 48 tasks, n = 1,000,000)",
	Params: []Param{
		{Name: "tasks", Default: 48, Min: 1, Max: 10_000_000, Doc: "number of tasks"},
		{Name: "n", Default: 1_000_000, Min: 1, Max: 10_000_000_000, Doc: "loop length of each task"},
	},
	Apply: applyCPU,
	count: func(p map[string]int64) int { return int(p["tasks"]) },
	gen: func(p map[string]int64, count int) []Task {
		tasks := make([]Task, count)
		for i := range tasks {
			tasks[i] = Task{A: uint64(p["n"])}
		}
		return tasks
	},
	reference: func(p map[string]int64, count int) uint64 {
		// count × (n−1)·n·(2n−1)/6, mod 2^64.
		s := sumSquares(uint64(p["n"]))
		s.Mul(s, new(big.Int).SetUint64(uint64(count)))
		return mod64(s)
	},
}

func applyCPU(tasks []Task, results []uint64) {
	for i, t := range tasks {
		results[i] = sumSquaresBelow(t.A)
	}
}

// sumSquaresBelow is Σ j·j for j < n, mod 2^64, four terms a step into
// four sums.
//
// Note: the plain loop (s += j*j, one term a step) runs at one step a cycle
// or 5–18 % slower depending only on where the linker puts it, which any
// change anywhere in the binary can move, so cpu's times and even process
// models' speedups were a matter of layout luck between builds. Four
// independent sums make the loop wait on the multiplier (one a cycle), not
// on instruction fetch, so it runs at one speed wherever it lands
// (docs/measurements.md has the figures). It is a function of its own
// (noinline) so that its loop's code does not depend on the caller's.
//
//go:noinline
func sumSquaresBelow(n uint64) uint64 {
	var s0, s1, s2, s3 uint64
	j := uint64(0)
	for ; n-j >= 4; j += 4 {
		s0 += j * j
		s1 += (j + 1) * (j + 1)
		s2 += (j + 2) * (j + 2)
		s3 += (j + 3) * (j + 3)
	}
	for ; j < n; j++ {
		s0 += j * j
	}
	return s0 + s1 + s2 + s3
}

// Square is x·x for x = 0 … N−1: tiny tasks, where the cost of moving a task
// dominates the cost of doing it.
var Square = &Workload{
	Name: "square",
	Doc:  "x·x for x = 0 … N−1; tiny tasks, so the cost of handing out work dominates (default N = 100,000)",
	Params: []Param{
		{Name: "tasks", Default: 100_000, Min: 1, Max: 50_000_000, Doc: "number of tasks (N)"},
	},
	Apply: applySquare,
	count: func(p map[string]int64) int { return int(p["tasks"]) },
	gen: func(_ map[string]int64, count int) []Task {
		tasks := make([]Task, count)
		for i := range tasks {
			tasks[i] = Task{A: uint64(i)}
		}
		return tasks
	},
	reference: func(_ map[string]int64, count int) uint64 {
		return mod64(sumSquares(uint64(count)))
	},
}

func applySquare(tasks []Task, results []uint64) {
	results = results[:len(tasks)]
	for i, t := range tasks {
		results[i] = t.A * t.A
	}
}

// Pow is a^b for a = 2 + i mod 8, b = i mod 20, i = 0 … N−1: the Python examples'
// starmap over argument pairs. Every result is exact in 64 bits (9^19 <
// 2^64).
var Pow = &Workload{
	Name: "pow",
	Doc:  "a^b for a = 2 + i mod 8, b = i mod 20 (starmap over pairs); tiny tasks (default N = 100,000)",
	Params: []Param{
		{Name: "tasks", Default: 100_000, Min: 1, Max: 50_000_000, Doc: "number of tasks (N)"},
	},
	Apply: applyPow,
	count: func(p map[string]int64) int { return int(p["tasks"]) },
	gen: func(_ map[string]int64, count int) []Task {
		tasks := make([]Task, count)
		for i := range tasks {
			tasks[i] = Task{A: 2 + uint64(i%8), B: uint64(i % 20)}
		}
		return tasks
	},
	reference: func(_ map[string]int64, count int) uint64 {
		// The pairs repeat with period lcm(8, 20) = 40.
		const period = 40
		one := func(i int) *big.Int {
			return new(big.Int).Exp(big.NewInt(int64(2+i%8)), big.NewInt(int64(i%20)), nil)
		}
		full := new(big.Int)
		for i := 0; i < period; i++ {
			full.Add(full, one(i))
		}
		s := new(big.Int).Mul(full, big.NewInt(int64(count/period)))
		for i := 0; i < count%period; i++ {
			s.Add(s, one(i))
		}
		return mod64(s)
	},
}

func applyPow(tasks []Task, results []uint64) {
	results = results[:len(tasks)]
	for i, t := range tasks {
		r, a, b := uint64(1), t.A, t.B
		for b > 0 {
			if b&1 == 1 {
				r *= a
			}
			a *= a
			b >>= 1
		}
		results[i] = r
	}
}

// sumSquares returns Σ i² for i in [0, n) = (n−1)·n·(2n−1)/6, exactly.
func sumSquares(n uint64) *big.Int {
	if n == 0 {
		return new(big.Int)
	}
	bn := new(big.Int).SetUint64(n)
	s := new(big.Int).Sub(bn, big.NewInt(1))
	s.Mul(s, bn)
	s.Mul(s, new(big.Int).Sub(new(big.Int).Lsh(bn, 1), big.NewInt(1)))
	return s.Quo(s, big.NewInt(6))
}

var two64 = new(big.Int).Lsh(big.NewInt(1), 64)

func mod64(x *big.Int) uint64 {
	return new(big.Int).Mod(x, two64).Uint64()
}
