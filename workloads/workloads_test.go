package workloads

import (
	"errors"
	"math/big"
	"strings"
	"testing"
)

func TestCPUMatchesClosedForm(t *testing.T) {
	for _, n := range []uint64{1, 2, 3, 10, 1000, 1_000_000, 2_000_000} {
		got := make([]uint64, 1)
		applyCPU([]Task{{A: n}}, got)
		// (n−1)n(2n−1)/6 fits in 64 bits for these n.
		want := (n - 1) * n * (2*n - 1) / 6
		if got[0] != want {
			t.Errorf("cpu(%d) = %d, want %d", n, got[0], want)
		}
	}
}

// TestSumSquaresBelowMatchesPlainLoop covers every remainder of the
// four-way loop, and sums that wrap around 2^64.
func TestSumSquaresBelowMatchesPlainLoop(t *testing.T) {
	plain := func(n uint64) uint64 {
		var s uint64
		for j := uint64(0); j < n; j++ {
			s += j * j
		}
		return s
	}
	for n := uint64(0); n <= 67; n++ {
		if got, want := sumSquaresBelow(n), plain(n); got != want {
			t.Errorf("sumSquaresBelow(%d) = %d, want %d", n, got, want)
		}
	}
	for _, n := range []uint64{5_000_001, 5_000_002, 5_000_003} { // past 2^64
		if got, want := sumSquaresBelow(n), plain(n); got != want {
			t.Errorf("sumSquaresBelow(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestPowMatchesBig(t *testing.T) {
	in, err := Pow.New(nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	res := in.Run()
	for i, task := range in.Tasks[:200] {
		want := new(big.Int).Exp(new(big.Int).SetUint64(task.A), new(big.Int).SetUint64(task.B), nil)
		if !want.IsUint64() || want.Uint64() != res[i] {
			t.Fatalf("pow task %d: %d^%d = %d, want %s", i, task.A, task.B, res[i], want)
		}
	}
}

// TestReferenceMatchesRun checks that the independently computed reference
// equals the checksum of actually running every task, for each workload,
// for strong and weak scaling and for counts that are not multiples of any
// period.
func TestReferenceMatchesRun(t *testing.T) {
	cases := []struct {
		w      *Workload
		params map[string]int64
		scale  int
	}{
		{CPU, map[string]int64{"tasks": 7, "n": 12345}, 1},
		{CPU, map[string]int64{"tasks": 3, "n": 5_000_000}, 2},
		{CPU, nil, 1},
		{CPU, map[string]int64{"tasks": 11, "n": 5_000_001}, 1}, // results past 2^64, odd count
		{CPU, map[string]int64{"tasks": 5, "n": 1}, 1},
		{Square, nil, 1},
		{Square, map[string]int64{"tasks": 3_000_001}, 1},
		{Square, map[string]int64{"tasks": 1}, 3},
		{Pow, map[string]int64{"tasks": 41}, 1},
		{Pow, map[string]int64{"tasks": 40}, 1},
		{Pow, map[string]int64{"tasks": 7}, 1},
		{Square, map[string]int64{"tasks": 2}, 1},
		{Pow, map[string]int64{"tasks": 99_999}, 2},
		{Pow, nil, 1},
	}
	for _, c := range cases {
		in, err := c.w.New(c.params, c.scale)
		if err != nil {
			t.Fatal(err)
		}
		if got := Checksum(in.Run()); got != in.Reference {
			t.Errorf("%s %v scale %d: checksum of run = %d, reference = %d", c.w.Name, c.params, c.scale, got, in.Reference)
		}
	}
}

func TestReferenceDetectsWrongResult(t *testing.T) {
	in, err := Square.New(map[string]int64{"tasks": 1000}, 1)
	if err != nil {
		t.Fatal(err)
	}
	res := in.Run()
	res[500]++
	if Checksum(res) == in.Reference {
		t.Fatal("a changed result still matches the reference")
	}
}

// TestChecksumDetectsMisplacedResults checks that results in the wrong
// slots fail the check even when the same values come back: two swapped,
// one repeated in place of another, all shifted by one.
func TestChecksumDetectsMisplacedResults(t *testing.T) {
	for _, w := range All() {
		in, err := w.New(map[string]int64{"tasks": 41}, 1)
		if err != nil {
			t.Fatal(err)
		}
		cases := map[string]func(r []uint64){
			"swap":      func(r []uint64) { r[3], r[4] = r[4], r[3] },
			"duplicate": func(r []uint64) { r[5] = r[6] },
			"rotate":    func(r []uint64) { copy(r, append(r[1:len(r):len(r)], r[0])) },
		}
		for name, mess := range cases {
			t.Run(w.Name+"/"+name, func(t *testing.T) {
				res := in.Run()
				mess(res)
				if got := Checksum(res); got == in.Reference {
					t.Errorf("checksum %d of misplaced results matches the reference", got)
				}
			})
		}
	}
}

// TestCPUTasksVaryAroundN checks that cpu's tasks differ from their
// neighbours by at most n/1000 and that their mean is n whenever the count
// is even (one extra task at most n/1000 off otherwise).
func TestCPUTasksVaryAroundN(t *testing.T) {
	for _, c := range []struct{ tasks, n int64 }{{48, 1_000_000}, {7, 12345}, {2, 1}, {1000, 999}} {
		in, err := CPU.New(map[string]int64{"tasks": c.tasks, "n": c.n}, 1)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		distinct := map[uint64]bool{}
		for i, task := range in.Tasks {
			d := int64(task.A) - c.n
			if d < -c.n/1000 || d > c.n/1000 {
				t.Errorf("tasks=%d n=%d: task %d runs %d steps, more than n/1000 off", c.tasks, c.n, i, task.A)
			}
			sum += d
			distinct[task.A] = true
		}
		if c.tasks%2 == 0 && sum != 0 {
			t.Errorf("tasks=%d n=%d: offsets sum to %d, want 0", c.tasks, c.n, sum)
		}
		if c.n >= 1000 && len(distinct) < 3 {
			t.Errorf("tasks=%d n=%d: only %d distinct tasks", c.tasks, c.n, len(distinct))
		}
	}
}

func TestWeakScalingMultipliesTasks(t *testing.T) {
	in, err := CPU.New(nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(in.Tasks), 48*3; got != want {
		t.Fatalf("tasks = %d, want %d", got, want)
	}
}

func TestBadParams(t *testing.T) {
	cases := []struct {
		name   string
		w      *Workload
		params map[string]int64
		scale  int
		want   string
	}{
		{"negative n", CPU, map[string]int64{"n": -5}, 1, "cpu.n=-5 is out of range (accepted: 1..10000000000)"},
		{"zero tasks", Square, map[string]int64{"tasks": 0}, 1, "square.tasks=0 is out of range"},
		{"unknown key", Pow, map[string]int64{"n": 3}, 1, "pow.n is not a parameter (valid: pow.tasks)"},
		{"zero scale", Pow, nil, 0, "scale 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.w.New(c.params, c.scale)
			if err == nil || !errors.Is(err, ErrBadParam) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrBadParam containing %q", err, c.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	if w, err := Lookup("pow"); err != nil || w != Pow {
		t.Fatalf("Lookup(pow) = %v, %v", w, err)
	}
	_, err := Lookup("nope")
	if !errors.Is(err, ErrUnknownWorkload) || !strings.Contains(err.Error(), "cpu, square, pow") {
		t.Fatalf("Lookup(nope) err = %v", err)
	}
}

func BenchmarkApply(b *testing.B) {
	for _, w := range All() {
		b.Run(w.Name, func(b *testing.B) {
			in, err := w.New(nil, 1)
			if err != nil {
				b.Fatal(err)
			}
			out := make([]uint64, len(in.Tasks))
			b.ResetTimer()
			for range b.N {
				w.Apply(in.Tasks, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in.Tasks)), "ns/task")
		})
	}
}
