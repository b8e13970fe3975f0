package reports

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/mpbench/mpbench/runfile"
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
//	BenchmarkCPU/model=goroutines/cores=2-2  1  31234567 ns/op  650722 ns/task  1.98 speedup  6600 ns/task-overhead
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
func WriteBenchfmt(w io.Writer, run *runfile.Run) error {
	bw := bufio.NewWriter(w)
	cpu := run.Env.CPUModel
	if cpu == "" {
		cpu = "unknown"
	}
	for _, kv := range [][2]string{{"goos", run.Env.OS}, {"goarch", run.Env.Arch}, {"cpu", cpu}, {"pkg", BenchPkg}} {
		if kv[1] != "" {
			fmt.Fprintf(bw, "%s: %s\n", kv[0], oneLine(kv[1]))
		}
	}
	for i := range run.Cells {
		c := &run.Cells[i]
		name := BenchName(c)
		if c.Failed() {
			fmt.Fprintf(bw, "--- FAIL: %s\n    %s\n", name, oneLine(c.Error))
			continue
		}
		var tseq float64
		if seq := run.Baseline(c); seq != nil && seq.Summary != nil && seq.Tasks > 0 && c.Tasks > 0 {
			// Scaled to this cell's task count (weak scaling), as the
			// summary's speedup is.
			tseq = seq.Summary.MedianNs * float64(c.Tasks) / float64(seq.Tasks)
		}
		for _, t := range c.Trials {
			ns := float64(t.ComputeNs)
			fmt.Fprintf(bw, "%s\t1\t%d ns/op", name, t.ComputeNs)
			if c.Tasks > 0 {
				fmt.Fprintf(bw, "\t%s ns/task", benchNum(ns/float64(c.Tasks)))
			}
			if tseq > 0 && ns > 0 {
				fmt.Fprintf(bw, "\t%s speedup\t%s ns/task-overhead", benchNum(tseq/ns), benchNum((float64(c.Cores)*ns-tseq)/float64(c.Tasks)))
			}
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
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

// benchNum formats x with about four significant digits in plain notation.
func benchNum(x float64) string {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return "0"
	}
	digits := 3 - int(math.Floor(math.Log10(math.Abs(x))))
	return strconv.FormatFloat(x, 'f', max(0, digits), 64)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
