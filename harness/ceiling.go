package harness

import (
	"fmt"
	"strconv"

	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
)

// EffectiveCores returns the cores the machine gave a trial's workers, in
// sequential CPUs: each worker's speed relative to sequential is the
// sequential cost of its tasks, tasks · nsPerTask, over its busy time, and
// the effective cores are the sum of the speeds, capped at cores (no cell
// can use more CPUs than it is confined to). Workers that ran no task add
// nothing. A worker that shares its CPU with another runs at the share it
// got, so two workers on one CPU add up to about one core.
//
// Note: nsPerTask is the sequential baseline's median compute time over its
// task count: the mean cost of a task, the right cost of each only for
// uniform tasks (the cpu workload's differ by < 0.1 %). A worker that is
// slow for reasons of its own (its cache misses, its page faults, the
// copying of its tasks inside the timed chunk) counts as a slow CPU.
func EffectiveCores(accts []runfile.Account, nsPerTask float64, cores int) float64 {
	speed := 0.0
	for _, a := range accts {
		if a.Tasks > 0 && a.BusyNs > 0 {
			speed += float64(a.Tasks) * nsPerTask / float64(a.BusyNs)
		}
	}
	return min(speed, float64(cores))
}

// MinChunkNs is the shortest mean chunk, in sequential time, whose busy
// time a worker's clock reads can measure: a chunk's two reads of the
// monotonic clock cost some 70 ns, under 1.5 % of 5 µs. A cell whose
// chunks are shorter (procpool-async's single tasks of square) gets no
// ceiling, and a warning says why.
const MinChunkNs = 5000

// ceiling fills s's effective cores, ceiling speedup and share of the
// ceiling from the trials of c that carry worker accounts: per trial, the
// effective cores (EffectiveCores, with nsPerTask the baseline's) and the
// trial's speedup tseq / T over them; the summary holds the medians with
// the 95 % CI of each median. tseq is the baseline time scaled to c's task
// count. Nothing is filled without a trial that has accounts, and trials
// whose chunks are shorter than MinChunkNs are left out; the warning it
// returns says so when that leaves none.
func ceiling(s *runfile.Summary, c *runfile.Cell, tseq float64) (warning string) {
	if c.Tasks <= 0 || tseq <= 0 {
		return ""
	}
	nsPerTask := tseq / float64(c.Tasks)
	var effs, ofs []float64
	perCPU := map[string][]float64{}
	short := 0.0
	for _, t := range c.Trials {
		if len(t.Accounts) == 0 || t.ComputeNs <= 0 {
			continue
		}
		if ns := chunkNs(t.Accounts, nsPerTask); ns > 0 && ns < MinChunkNs {
			short = ns
			continue
		}
		eff := EffectiveCores(t.Accounts, nsPerTask, c.Cores)
		if eff <= 0 {
			continue
		}
		effs = append(effs, eff)
		ofs = append(ofs, tseq/float64(t.ComputeNs)/eff)
		for cpu, v := range cpuSpeeds(t.Accounts, nsPerTask) {
			perCPU[cpu] = append(perCPU[cpu], v)
		}
	}
	if len(effs) == 0 {
		if short > 0 {
			return fmt.Sprintf("no effective cores: chunks of %s of sequential work are too short to time (under %s)", signedDuration(short), signedDuration(MinChunkNs))
		}
		return ""
	}
	e, o := stats.Summarize(effs), stats.Summarize(ofs)
	s.EffectiveCores, s.EffectiveCoresCILow, s.EffectiveCoresCIHigh = &e.Median, &e.CILow, &e.CIHigh
	ceil := e.Median
	s.CeilingSpeedup = &ceil
	s.OfCeiling, s.OfCeilingCILow, s.OfCeilingCIHigh = &o.Median, &o.CILow, &o.CIHigh
	if len(perCPU) > 0 {
		s.CPUSpeeds = make(map[string]float64, len(perCPU))
		for cpu, xs := range perCPU {
			s.CPUSpeeds[cpu] = stats.Summarize(xs).Median
		}
	}
	return ""
}

// cpuSpeeds sums the speeds of a trial's workers (as EffectiveCores) per
// CPU they were last seen on; workers on no known CPU are left out.
func cpuSpeeds(accts []runfile.Account, nsPerTask float64) map[string]float64 {
	out := map[string]float64{}
	for _, a := range accts {
		if a.CPU >= 0 && a.Tasks > 0 && a.BusyNs > 0 {
			out[strconv.Itoa(a.CPU)] += float64(a.Tasks) * nsPerTask / float64(a.BusyNs)
		}
	}
	return out
}

// chunkNs is the mean sequential cost of a trial's timed chunks, or 0 when
// its accounts do not count chunks.
func chunkNs(accts []runfile.Account, nsPerTask float64) float64 {
	tasks, chunks := 0, 0
	for _, a := range accts {
		tasks, chunks = tasks+a.Tasks, chunks+a.Chunks
	}
	if chunks == 0 {
		return 0
	}
	return float64(tasks) * nsPerTask / float64(chunks)
}
