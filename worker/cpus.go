package worker

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// AllowedCPUs returns the CPUs this process may run on, ascending.
func AllowedCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("worker: sched_getaffinity: %w", err)
	}
	return setToList(&set), nil
}

// WorkerCPU returns the CPU set for worker i of a process model: the i-th
// CPU this process may use (wrapping around when there are more workers
// than CPUs), or nil, the whole set, if the set cannot be read.
//
// Note: procpool, pipe and shm pin their c workers this way. Left to the
// kernel, workers started or woken together were often queued on one CPU
// (the waker's) while another stayed idle for milliseconds, until the load
// balancer moved one: longer than many a compute phase, and a matter of
// placement luck, not of the model. Pinned, a worker's runtime threads
// (its sysmon, its GC) also stay on its own CPU. Models with a busy
// process beside their c workers (queue's producer, manager's server)
// leave them all to the kernel: pinned, the extra process was stuck
// sharing one worker's CPU.
func WorkerCPU(i int) []int {
	cpus, err := AllowedCPUs()
	if err != nil || len(cpus) == 0 {
		return nil
	}
	return []int{cpus[i%len(cpus)]}
}

func setToList(set *unix.CPUSet) []int {
	var cpus []int
	for i := 0; i < len(set)*64; i++ {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	return cpus
}

// FormatCPUList formats CPUs the way /proc/<pid>/status's
// Cpus_allowed_list does: "0-3,6".
func FormatCPUList(cpus []int) string {
	var b strings.Builder
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j > i {
			fmt.Fprintf(&b, "%d-%d", cpus[i], cpus[j])
		} else {
			fmt.Fprintf(&b, "%d", cpus[i])
		}
		i = j + 1
	}
	return b.String()
}

// StatusField returns a field of /proc/<pid>/status, e.g.
// "Cpus_allowed_list".
func StatusField(pid int, field string) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("worker: no %s in /proc/%d/status", field, pid)
}

// startPinned runs start on a locked OS thread whose affinity is cpus, so
// that the child is born confined to cpus (fork copies the calling thread's
// mask and exec keeps it). The thread's own mask is restored before it goes
// back to the Go scheduler.
//
// Note: setting the mask from the parent after Start, or from the child at
// startup, would race with the threads the Go runtime starts; inheriting it
// across fork has no window at all.
func startPinned(cpus []int, start func() error) error {
	if len(cpus) == 0 {
		return start()
	}
	var want unix.CPUSet
	for _, c := range cpus {
		want.Set(c)
	}
	runtime.LockOSThread()
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("worker: sched_getaffinity: %w", err)
	}
	if err := unix.SchedSetaffinity(0, &want); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("worker: sched_setaffinity %s: %w", FormatCPUList(cpus), err)
	}
	err := start()
	if rerr := unix.SchedSetaffinity(0, &old); rerr != nil {
		// Leave the thread locked: it dies with its goroutine rather than
		// running other goroutines on the wrong CPUs. Note: Pdeathsig
		// fires when the thread that forked a child exits, so a child
		// started here would be killed then; report the failure.
		if err == nil {
			err = fmt.Errorf("worker: restore affinity: %w", rerr)
		}
		return err
	}
	runtime.UnlockOSThread()
	return err
}

// ParseCPUList parses a Cpus_allowed_list-style list ("0-3,6").
func ParseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(strings.TrimSpace(s), ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("worker: bad CPU list %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("worker: bad CPU list %q", s)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}
