package probe

import (
	"fmt"
	"sync"
	"time"

	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
	"github.com/mpbench/mpbench/workloads"
)

// kernelN is the cpu workload's task size of one step of the speed
// kernel: about 10 µs, short beside the shortest window.
const kernelN = 20_000

// spin runs the kernel for about w and returns its speed in terms per
// nanosecond.
func spin(apply func([]workloads.Task, []uint64), w time.Duration) float64 {
	tasks := []workloads.Task{{A: kernelN}}
	res := make([]uint64, 1)
	steps := 0
	t0 := time.Now()
	var dt time.Duration
	for dt < w {
		apply(tasks, res)
		steps++
		dt = time.Since(t0)
	}
	return float64(steps) * kernelN / float64(dt.Nanoseconds())
}

func cpuSpeed(cpus []int, opt Options) ([]runfile.ProbeItem, error) {
	wl, err := workloads.Lookup("cpu")
	if err != nil {
		return nil, err
	}
	var items []runfile.ProbeItem
	for _, w := range opt.Windows {
		alone := make([][]float64, len(cpus))
		all := make([][]float64, len(cpus))
		for range opt.Reps {
			for i, c := range cpus {
				if err := onCPU(c, func() { alone[i] = append(alone[i], spin(wl.Apply, w)) }); err != nil {
					return items, err
				}
			}
			var wg sync.WaitGroup
			var start sync.WaitGroup
			start.Add(1)
			errs := make([]error, len(cpus))
			speeds := make([]float64, len(cpus))
			for i, c := range cpus {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = onCPU(c, func() { start.Wait(); speeds[i] = spin(wl.Apply, w) })
				}()
			}
			time.Sleep(time.Millisecond) // let every thread pin itself
			start.Done()
			wg.Wait()
			for i := range cpus {
				if errs[i] != nil {
					return items, errs[i]
				}
				all[i] = append(all[i], speeds[i])
			}
		}
		items = append(items, SpeedItems(w, cpus, alone, all)...)
	}
	return items, nil
}

// SpeedItems turns the speed samples of one window into figures: CPU 0's
// speed alone (terms per ns), then per CPU its speed alone and while all
// CPUs run, each sample as a ratio to the median speed of CPU 0 alone.
// alone[i] and all[i] are CPU cpus[i]'s samples.
func SpeedItems(w time.Duration, cpus []int, alone, all [][]float64) []runfile.ProbeItem {
	if len(cpus) == 0 || len(alone[0]) == 0 {
		return nil
	}
	ref := stats.Summarize(alone[0]).Median
	win := fmt.Sprint(w)
	first := Item(fmt.Sprintf("cpu %d speed alone, %s", cpus[0], win), "terms/ns", alone[0])
	first.Note = "the cpu workload's loop; the ratios below are to this median"
	items := []runfile.ProbeItem{first}
	ratios := func(xs []float64) []float64 {
		out := make([]float64, len(xs))
		for i, x := range xs {
			out[i] = x / ref
		}
		return out
	}
	for i, c := range cpus {
		if i > 0 {
			items = append(items, Item(fmt.Sprintf("cpu %d alone / cpu %d alone, %s", c, cpus[0], win), "ratio", ratios(alone[i])))
		}
	}
	for i, c := range cpus {
		it := Item(fmt.Sprintf("cpu %d all busy / cpu %d alone, %s", c, cpus[0], win), "ratio", ratios(all[i]))
		if i == 0 {
			it.Note = fmt.Sprintf("all %d CPUs running the loop at once", len(cpus))
		}
		items = append(items, it)
	}
	return items
}
