package cellrun

import (
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/worker"
)

// BusyLoad is the share of a cell's CPUs that other processes may take
// while it runs before its figures are suspect: above it the cell gets a
// "machine busy" warning.
const BusyLoad = 0.10

// CPUTimes is the busy time (s) of each CPU since boot, from /proc/stat.
type CPUTimes map[int]float64

// clockTick is USER_HZ, the unit of /proc/stat; 100 on every Linux
// architecture Go supports.
const clockTick = 100

// ReadCPUTimes returns the busy time of every CPU, or nil where /proc/stat
// cannot be read.
func ReadCPUTimes() CPUTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil
	}
	return ParseCPUTimes(b)
}

// ParseCPUTimes reads the per-CPU lines ("cpuN ...") of /proc/stat: busy
// time is user, nice, system, irq, softirq and steal, everything but idle
// and iowait.
func ParseCPUTimes(stat []byte) CPUTimes {
	out := CPUTimes{}
	for _, line := range strings.Split(string(stat), "\n") {
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

// OtherLoad returns the share of cpus that other processes used between
// two snapshots taken wall apart: the busy time those CPUs gained, less
// own (the CPU time of the cell's own process tree in that window), over
// wall × len(cpus), at least 0. ok is false when a snapshot lacks one of
// the CPUs or the window is empty.
//
// Note: unlike the kernel's pressure figures (/proc/pressure/cpu) it does
// not count a model's processes competing among themselves, and a model
// that burns more CPU of its own is not "other processes". It is
// approximate: /proc/stat counts in ticks of 10 ms.
func OtherLoad(start, end CPUTimes, cpus []int, own, wall time.Duration) (load float64, ok bool) {
	if len(cpus) == 0 || wall <= 0 {
		return 0, false
	}
	var busy float64
	for _, c := range cpus {
		s, ok1 := start[c]
		e, ok2 := end[c]
		if !ok1 || !ok2 {
			return 0, false
		}
		busy += e - s
	}
	return math.Max(0, busy-own.Seconds()) / (wall.Seconds() * float64(len(cpus))), true
}

// MinLoadWindow is the shortest window whose OtherLoad is precise enough
// to warn on: /proc/stat counts in 10 ms ticks, so each CPU's busy time is
// off by up to two ticks, 20 ms, which over 200 ms is the 10 % that
// BusyLoad warns at. Shorter cells still record OtherLoad (the gates
// judge contention on cells of any length, with their own limit), but
// get no "machine busy" warning from it.
const MinLoadWindow = 200 * time.Millisecond

// LoadWindow is the span of c's trials that its OtherLoad was measured
// over: every trial but the first.
func LoadWindow(c *runfile.Cell) time.Duration {
	var ns int64
	for _, t := range c.Trials[min(1, len(c.Trials)):] {
		ns += t.SetupNs + t.ComputeNs + t.TeardownNs
	}
	return time.Duration(ns)
}

// loadWindow measures a cell's OtherLoad from the end of its first
// measured trial (so the runner's start and warm-ups are left out) to its
// end.
type loadWindow struct {
	at  [2]time.Time
	cpu [2]CPUTimes
	n   int
}

// mark takes the start snapshot, then the end one.
func (w *loadWindow) mark() {
	if w.n < 2 {
		w.at[w.n], w.cpu[w.n] = time.Now(), ReadCPUTimes()
		w.n++
	}
}

// of returns the other processes' share of c's CPUs over the window, or
// nil when it cannot be known.
func (w *loadWindow) of(c *runfile.Cell) *float64 {
	if w.n < 2 || w.cpu[0] == nil || w.cpu[1] == nil || len(c.Trials) < 2 {
		return nil
	}
	cpus, err := worker.ParseCPUList(c.CPUs)
	if err != nil {
		return nil
	}
	var own int64
	for _, t := range c.Trials[1:] {
		own += t.UserNs + t.SysNs
	}
	wall := w.at[1].Sub(w.at[0])
	load, ok := OtherLoad(w.cpu[0], w.cpu[1], cpus, time.Duration(own), wall)
	if !ok {
		return nil
	}
	return &load
}
