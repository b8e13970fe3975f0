package modeltest_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mpbench/mpbench/harness/cellrun"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/manager"
	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/models/pipe"
	"github.com/mpbench/mpbench/models/procpool"
	"github.com/mpbench/mpbench/models/queue"
	"github.com/mpbench/mpbench/models/sequential"
	"github.com/mpbench/mpbench/models/shm"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/worker"
)

var registry = models.Registry{
	sequential.New(), procpool.New(), procpool.NewAsync(), pipe.New(), queue.New(),
	shm.New(), shm.NewLock(), manager.New(), manager.NewBatch(),
}

func TestMain(m *testing.M) {
	worker.Register(cellrun.RoleName, cellrun.Role(registry))
	modeltest.Main(m, registry...)
}

// TestSanityFigures runs cells through the harness's cell runner — a fresh
// child confined to c CPUs with GOMAXPROCS = c, the way `mpbench run`
// does — and prints median compute time, speedup against sequential,
// per-task overhead, setup, and of setup the start of each process and the
// warm-up (see worker.Warmup). It is a sanity check of the figures, not a
// gate: timings on a shared machine are noisy. It runs only
// with MPBENCH_SANITY=1; MPBENCH_SANITY_MODELS, _WORKLOADS and _TRIALS
// narrow or lengthen it.
func TestSanityFigures(t *testing.T) {
	if os.Getenv("MPBENCH_SANITY") != "1" {
		t.Skip("set MPBENCH_SANITY=1 to print sanity figures")
	}
	modelNames := list("MPBENCH_SANITY_MODELS", "procpool,procpool-async,pipe,queue")
	workloadNames := list("MPBENCH_SANITY_WORKLOADS", "cpu,square,pow")
	trials := 7
	if v, err := strconv.Atoi(os.Getenv("MPBENCH_SANITY_TRIALS")); err == nil {
		trials = v
	}
	avail, err := worker.AllowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	run := func(model, workload string, cores int) runfile.Cell {
		cell, err := cellrun.Run(context.Background(), cellrun.Spec{
			Workload: workload, Model: model, Cores: cores, Scale: 1, Warmup: 1, Trials: trials,
		}, cellrun.Options{CPUs: avail[:min(cores, len(avail))], Timeout: 5 * time.Minute})
		if err != nil || cell.Failed() {
			t.Fatalf("%s %s c=%d: %v %s", model, workload, cores, err, cell.Error)
		}
		return cell
	}
	median := func(c runfile.Cell, f func(runfile.Trial) int64) float64 {
		var xs []float64
		for _, tr := range c.Trials {
			xs = append(xs, float64(f(tr)))
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	compute := func(tr runfile.Trial) int64 { return tr.ComputeNs }
	setup := func(tr runfile.Trial) int64 { return tr.SetupNs }
	for _, w := range workloadNames {
		seq := run("sequential", w, 1)
		tseq := median(seq, compute)
		fmt.Printf("%-15s %-7s c=1  compute %9.3f ms\n", "sequential", w, tseq/1e6)
		for _, m := range modelNames {
			for c := 1; c <= min(2, len(avail)); c++ {
				cell := run(m, w, c)
				tc := median(cell, compute)
				metric := func(k string) func(runfile.Trial) int64 {
					return func(tr runfile.Trial) int64 { return int64(tr.Metrics[k] * 1e6) }
				}
				fmt.Printf("%-15s %-7s c=%d  compute %8.3f ms  speedup %5.2f  overhead %8.1f ns/task  setup %6.2f ms (start %4.2f ms/process, warm-up %5.2f ms)  cpus %s\n",
					m, w, c, tc/1e6, tseq/tc, (float64(c)*tc-tseq)/float64(cell.Tasks), median(cell, setup)/1e6,
					median(cell, metric("worker_start_ms"))/1e6, median(cell, metric("worker_warmup_ms"))/1e6, cell.CPUs)
			}
		}
	}
}

func list(env, def string) []string {
	v := os.Getenv(env)
	if v == "" {
		v = def
	}
	return strings.Split(v, ",")
}
