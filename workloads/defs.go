package workloads

import "math/big"

// CPU is cpu_intensive_task of the Python multiprocessing examples: Σ i·i for i in [0, n), in uint64
// arithmetic, run on a list of nearly equal tasks (pool.map(cpu_intensive_task,
// [1000000] * 4) scaled up). Task i runs n + CPUOffset(n, i) steps.
//
// Note: the offsets are at most n/1000 and sum to zero over every pair of
// tasks, so the work per task and its mean are n's to 0.1 %; they make each
// result differ from its neighbours', so that a model that puts a result in
// the wrong slot fails the position-weighted checksum.
var CPU = &Workload{
	Name: "cpu",
	Doc:  "cpu_intensive_task(n) = Σ i·i for i < n; coarse tasks, pure compute (defaults: 48 tasks, n = 1,000,000, each ±0.1 %)",
	Params: []Param{
		{Name: "tasks", Default: 48, Min: 1, Max: 10_000_000, Doc: "number of tasks"},
		{Name: "n", Default: 1_000_000, Min: 1, Max: 10_000_000_000, Doc: "loop length of each task (mean; each task varies by at most n/1000)"},
	},
	Apply: applyCPU,
	count: func(p map[string]int64) int { return int(p["tasks"]) },
	gen: func(p map[string]int64, count int) []Task {
		n := uint64(p["n"])
		tasks := make([]Task, count)
		for i := range tasks {
			tasks[i] = Task{A: uint64(int64(n) + CPUOffset(n, i))}
		}
		return tasks
	},
	reference: func(p map[string]int64, count int) uint64 {
		// Σ (i+1)·S(n_i) mod 2^64, with S(m) = (m−1)·m·(2m−1)/6 in closed
		// form; uint64 arithmetic wraps mod 2^64 exactly.
		n := uint64(p["n"])
		var s uint64
		for i := 0; i < count; i++ {
			m := uint64(int64(n) + CPUOffset(n, i))
			s += uint64(i+1) * sumSquaresMod64(m)
		}
		return s
	},
}

// CPUOffset is how many steps task i of a cpu workload with loop length n
// runs beyond n: +d for even i, −d for the odd i after it, where
// d = (i/2 · 7919) mod (n/1000 + 1). scripts/pyref/pyref.py computes the same.
func CPUOffset(n uint64, i int) int64 {
	span := n/1000 + 1
	d := int64(uint64(i/2) * 7919 % span)
	if i%2 == 1 {
		return -d
	}
	return d
}

// sumSquaresMod64 is (m−1)·m·(2m−1)/6 mod 2^64: each division is done on
// the factor it divides, so the product of the rest wraps exactly.
func sumSquaresMod64(m uint64) uint64 {
	if m == 0 {
		return 0
	}
	a, b, c := m-1, m, 2*m-1
	if a%2 == 0 {
		a /= 2
	} else {
		b /= 2
	}
	switch {
	case a%3 == 0:
		a /= 3
	case b%3 == 0:
		b /= 3
	default:
		c /= 3
	}
	return a * b * c
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

// DefaultTinyTasks is the default task count of square and pow. It was
// 100,000; since every trial runs a cold pass besides its warm ones, the
// manager's 1.4 s passes at 100,000 would have made the default sweep
// (make run) about 160 s of cells on a 2-vCPU VM, against 85 s before.
// At 40,000 it is about 78 s (docs/measurements.md), and the cells whose
// pass is shorter than --min-time run more warm passes instead.
const DefaultTinyTasks = 40_000

// Square is x·x for x = 0 … N−1: tiny tasks, where the cost of moving a task
// dominates the cost of doing it.
var Square = &Workload{
	Name: "square",
	Doc:  "x·x for x = 0 … N−1; tiny tasks, so the cost of handing out work dominates (default N = 40,000)",
	Params: []Param{
		{Name: "tasks", Default: DefaultTinyTasks, Min: 1, Max: 50_000_000, Doc: "number of tasks (N)"},
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
		// Σ (i+1)·i² for i < N = Σ i³ + Σ i² = ((N−1)·N/2)² + (N−1)·N·(2N−1)/6.
		n := new(big.Int).SetUint64(uint64(count))
		cubes := new(big.Int).Mul(n, new(big.Int).Sub(n, big.NewInt(1)))
		cubes.Rsh(cubes, 1)
		cubes.Mul(cubes, cubes)
		return mod64(cubes.Add(cubes, sumSquares(uint64(count))))
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
	Doc:  "a^b for a = 2 + i mod 8, b = i mod 20 (starmap over pairs); tiny tasks (default N = 40,000)",
	Params: []Param{
		{Name: "tasks", Default: DefaultTinyTasks, Min: 1, Max: 50_000_000, Doc: "number of tasks (N)"},
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
		// The pairs repeat with period lcm(8, 20) = 40: task i = 40k + j has
		// the value v_j and the weight 40k + j + 1. Over K full periods
		// that is v_j·(40·K(K−1)/2 + K·(j+1)); the R tasks after them weigh
		// 40K + j + 1.
		const period = 40
		K, R := int64(count/period), count%period
		s := new(big.Int)
		for j := 0; j < period; j++ {
			v := new(big.Int).Exp(big.NewInt(int64(2+j%8)), big.NewInt(int64(j%20)), nil)
			w := big.NewInt(period * K * (K - 1) / 2)
			w.Add(w, big.NewInt(K*int64(j+1)))
			if j < R {
				w.Add(w, big.NewInt(period*K+int64(j+1)))
			}
			s.Add(s, w.Mul(w, v))
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
