package reports

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/mpbench/mpbench/runfile"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"
)

// BenchPkg is the pkg: configuration line of benchfmt output.
const BenchPkg = "github.com/mpbench/mpbench"

// WriteBenchfmt writes the run in the standard Go benchmark format
// (https://go.googlesource.com/proposal/+/master/design/14313-benchmark-format.md),
// so that benchstat and the rest of golang.org/x/perf read mpbench runs.
//
// The file configuration comes first (goos:, goarch:, cpu:, pkg:), then one
// line per measured trial, so that benchstat sees each cell's whole
// distribution:
//
//	BenchmarkCPU/model=goroutines/cores=2-2 1 3.1234567e+07 ns/op 650700 ns/task 1.98 speedup 6600 ns/task-overhead
//
// A trial is one op (iterations 1) and ns/op is its compute phase. The
// name carries the model, the cores and any parameter overrides as
// key=value parts, and the cores again as the GOMAXPROCS suffix (omitted at
// 1, as go test does). speedup and ns/task-overhead are the trial's time
// against the median of the run's sequential cell (absent without it).
// Failed cells are written as go test writes a failed benchmark, a
// "--- FAIL:" line, which readers skip.
//
// Note: only the four standard configuration keys are written. benchstat
// splits its tables by every configuration key that differs between
// files, so a host name or mpbench version there would stop two runs
// from being compared.
//
// The lines are written by golang.org/x/perf/benchfmt's Writer, so they are
// what benchstat's own reader reads back; it writes numbers in Go's %v
// notation (3.1234567e+07 ns/op). Derived figures are rounded to four
// significant digits.
func WriteBenchfmt(w io.Writer, run *runfile.Run) error {
	bw := benchfmt.NewWriter(w)
	config := benchConfig(run)
	for i := range run.Cells {
		c := &run.Cells[i]
		if c.Failed() {
			// The Writer has no record for a failed benchmark: write it
			// as go test does, between the Writer's records.
			if _, err := fmt.Fprintf(w, "--- FAIL: %s\n    %s\n", BenchName(c), oneLine(c.Error)); err != nil {
				return err
			}
			continue
		}
		for _, res := range benchResults(run, c, config) {
			if err := bw.Write(res); err != nil {
				return err
			}
		}
	}
	return nil
}

// benchConfig returns the file configuration of every result of run:
// goos, goarch, cpu and pkg, leaving out the empty ones.
func benchConfig(run *runfile.Run) []benchfmt.Config {
	cpu := run.Env.CPUModel
	if cpu == "" {
		cpu = "unknown"
	}
	var out []benchfmt.Config
	for _, kv := range [][2]string{{"goos", run.Env.OS}, {"goarch", run.Env.Arch}, {"cpu", cpu}, {"pkg", BenchPkg}} {
		if kv[1] != "" {
			out = append(out, benchfmt.Config{Key: kv[0], Value: []byte(oneLine(kv[1])), File: true})
		}
	}
	return out
}

// benchResults returns one result per trial of the passing cell c: one op
// (iterations 1) of its compute time, per task, and, with a baseline,
// speedup and overhead per task. Values are as benchfmt's Reader makes
// them: tidied (sec/op) with the unit written kept as OrigUnit.
func benchResults(run *runfile.Run, c *runfile.Cell, config []benchfmt.Config) []*benchfmt.Result {
	var tseq float64
	if seq := run.Baseline(c); seq != nil && seq.Summary != nil && seq.Tasks > 0 && c.Tasks > 0 {
		// Scaled to this cell's task count (weak scaling), as the
		// summary's speedup is.
		tseq = seq.Summary.MedianNs * float64(c.Tasks) / float64(seq.Tasks)
	}
	name := benchfmt.Name(strings.TrimPrefix(BenchName(c), "Benchmark"))
	out := make([]*benchfmt.Result, 0, len(c.Trials))
	for _, t := range c.Trials {
		ns := float64(t.ComputeNs)
		vals := []benchfmt.Value{benchValue(ns, "ns/op")}
		if c.Tasks > 0 {
			vals = append(vals, benchValue(round4(ns/float64(c.Tasks)), "ns/task"))
		}
		if tseq > 0 && ns > 0 {
			vals = append(vals, benchValue(round4(tseq/ns), "speedup"),
				benchValue(round4((float64(c.Cores)*ns-tseq)/float64(c.Tasks)), "ns/task-overhead"))
		}
		if t.HasCounters() {
			// Per trial, that is per op; benchstat compares each unit.
			vals = append(vals, benchValue(float64(t.MinFlt), "minor-faults/op"), benchValue(float64(t.MajFlt), "major-faults/op"),
				benchValue(float64(t.Nvcsw), "vol-ctxsw/op"), benchValue(float64(t.Nivcsw), "invol-ctxsw/op"))
		}
		out = append(out, &benchfmt.Result{Config: slices.Clone(config), Name: name, Iters: 1, Values: vals})
	}
	return out
}

// benchValue is x in unit as benchfmt's Reader returns it: tidied into
// base units (ns into sec), the original kept for the Writer; a value that
// tidying leaves alone (0, or a unit without a prefix) stays as it is.
func benchValue(x float64, unit string) benchfmt.Value {
	v, u := benchunit.Tidy(x, unit)
	if v == x {
		return benchfmt.Value{Value: x, Unit: unit}
	}
	return benchfmt.Value{Value: v, Unit: u, OrigValue: x, OrigUnit: unit}
}

// BenchName returns the benchmark name of a cell, with the "Benchmark"
// prefix and the GOMAXPROCS suffix: BenchmarkCPU/model=goroutines/cores=2-2.
func BenchName(c *runfile.Cell) string {
	var b strings.Builder
	b.WriteString("Benchmark")
	b.WriteString(benchWorkload(c.Workload))
	fmt.Fprintf(&b, "/model=%s/cores=%d", c.Model, c.Cores)
	keys := make([]string, 0, len(c.Params))
	for k := range c.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "/%s=%d", k, c.Params[k])
	}
	if c.Cores != 1 {
		fmt.Fprintf(&b, "-%d", c.Cores)
	}
	return b.String()
}

// benchWorkload turns a workload name into a benchmark name part: "cpu"
// is an acronym, the others get a capital letter.
func benchWorkload(name string) string {
	if name == "cpu" {
		return "CPU"
	}
	if name == "" {
		return "Unknown"
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// round4 rounds x to four significant digits, so that derived figures
// read as 1.98 speedup, not 1.9801980198019802.
func round4(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	digits := 3 - int(math.Floor(math.Log10(math.Abs(x))))
	if digits >= 0 {
		p := math.Pow(10, float64(digits))
		return math.Round(x*p) / p
	}
	p := math.Pow(10, float64(-digits))
	return math.Round(x/p) * p
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
