package gate

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mpbench/mpbench/harness"
	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/worker"
)

// executePlan runs plan in dir and returns the run with the CPU contention
// each cell ran under, by cell key: the share of the cell's CPUs that
// other processes used while its trials ran (busy time of those CPUs from
// /proc/stat, less the CPU time of the cell's own process tree, over wall
// time × CPUs). Unlike the kernel's pressure figures it does not count a
// model's processes competing among themselves.
func executePlan(ctx context.Context, plan *harness.Plan, reg models.Registry, dir string) (*runfile.Run, map[string]float64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	type mark struct {
		at  time.Time
		cpu cpuTimes
	}
	starts, ends := map[int]mark{}, map[int]mark{}
	run, err := harness.Execute(ctx, plan, harness.Options{
		Registry: reg, Dir: dir, Env: harness.CollectEnv("gate", "", false, os.Args, ""),
		Progress: func(p harness.Progress) {
			// The window runs from the first measured trial's report to
			// the cell's end, leaving out the runner's start-up and
			// warm-ups.
			switch {
			case p.Done:
				ends[p.Index] = mark{time.Now(), readCPUTimes()}
			case p.Trial == 1:
				starts[p.Index] = mark{time.Now(), readCPUTimes()}
			}
		},
	})
	if err != nil {
		return run, nil, fmt.Errorf("gate run: %w", err)
	}
	contention := map[string]float64{}
	for i := range run.Cells {
		c := &run.Cells[i]
		s, ok1 := starts[i+1]
		e, ok2 := ends[i+1]
		contention[c.Key()] = math.NaN()
		if ok1 && ok2 && s.cpu != nil && e.cpu != nil && len(c.Trials) > 1 {
			cpus, err := worker.ParseCPUList(c.CPUs)
			if err != nil || len(cpus) == 0 {
				continue
			}
			var busy, own float64
			for _, cpu := range cpus {
				busy += e.cpu[cpu] - s.cpu[cpu]
			}
			for _, t := range c.Trials[1:] {
				own += float64(t.UserNs+t.SysNs) / 1e9
			}
			wall := e.at.Sub(s.at).Seconds() * float64(len(cpus))
			contention[c.Key()] = math.Max(0, busy-own) / wall
		}
	}
	return run, contention, nil
}

// cpuTimes is the busy time (s) of each CPU since boot, from /proc/stat.
type cpuTimes map[int]float64

// clockTick is USER_HZ, the unit of /proc/stat; 100 on every Linux
// architecture Go supports.
const clockTick = 100

// readCPUTimes returns the busy time of every CPU (user, nice, system,
// irq, softirq and steal: everything but idle and iowait), or nil where
// /proc/stat cannot be read.
func readCPUTimes() cpuTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil
	}
	out := cpuTimes{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		n, err := strconv.Atoi(f[0][3:])
		if err != nil {
			continue
		}
		var busy float64
		for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system irq softirq steal
			v, _ := strconv.ParseFloat(f[i], 64)
			busy += v
		}
		out[n] = busy / clockTick
	}
	return out
}
