package models

import (
	"time"
	"unsafe" // for go:linkname too

	"github.com/mpbench/mpbench/workloads"
	"golang.org/x/sys/unix"
)

// Account is one worker's share of a trial: how long it spent inside the
// workload's task function, how many tasks it ran there, and the CPU it
// ran on. Workers (goroutines or processes) keep one each and the model
// returns them in Output.Accounts.
//
// Note: the accounting is per chunk, never per task: two clock reads around
// each call of the task function on a chunk, so that it costs nothing
// measurable against a chunk of tasks. The CPU is read once, when the
// worker is done (NoteCPU): a getcpu is a system call, dearer than a clock
// read, and a pinned worker never moves.
type Account struct {
	// Busy is the wall time spent inside the task function.
	Busy time.Duration
	// Tasks is the number of tasks run.
	Tasks int
	// Chunks is the number of calls of the task function (timed chunks).
	Chunks int
	// CPU is the CPU the worker was on when it was done (NoteCPU; a
	// worker the kernel moves keeps the last), or -1 when unknown.
	CPU int
	// First and Last are CLOCK_MONOTONIC (ns) when the first chunk
	// started and the last chunk ended, the clock reads Apply makes
	// anyway; 0 when unknown (no chunk). The clock is the machine's, so
	// the cell runner sets them against its own reads of the pass's ends
	// (Nanotime), whatever process the worker is.
	First, Last int64

	// every, when set, times one chunk in every (sampling: see Apply);
	// skip counts the chunks since the last timed one, mean is the busy
	// time an untimed chunk is charged.
	every, skip int
	mean        time.Duration
}

// Short chunks are sampled: after sampleAfter timed chunks that took under
// shortChunk each on average, an account times one chunk in sampleEvery.
const (
	sampleAfter = 64
	sampleEvery = 64
	shortChunk  = time.Microsecond
)

// NewAccount returns an empty account on no known CPU.
func NewAccount() Account { return Account{CPU: -1} }

// Apply runs apply on a chunk, adding the time it took and its tasks to a.
//
// Note: a chunk of one tiny task (procpool-async on square: about 1 ns of
// work) costs less than the two clock reads around it, and timing every
// such chunk made procpool-async 9 % slower on square (A/B, accounts on
// against off). So once the first sampleAfter chunks of a pass averaged
// under shortChunk, an account times one chunk in sampleEvery and charges
// each untimed one the mean of the first: Busy is then an estimate, and
// Last the end of the last timed chunk, early by less than sampleEvery
// short chunks. Such chunks are far below what a busy time can say
// anything about anyway (harness.MinChunkNs): the cell gets no ceiling and
// no "withheld" part.
func (a *Account) Apply(apply func([]workloads.Task, []uint64), tasks []workloads.Task, results []uint64) {
	if a.every > 0 {
		if a.skip++; a.skip < a.every {
			apply(tasks, results)
			a.Busy += a.mean
			a.Tasks += len(tasks)
			a.Chunks++
			return
		}
		a.skip = 0
	}
	t0 := nanotime()
	apply(tasks, results)
	t1 := nanotime()
	a.Busy += time.Duration(t1 - t0)
	if a.Chunks == 0 {
		a.First = t0
	}
	a.Last = t1
	a.Tasks += len(tasks)
	a.Chunks++
	if a.Chunks == sampleAfter && a.every == 0 && a.Busy < sampleAfter*shortChunk {
		a.every, a.mean = sampleEvery, a.Busy/sampleAfter
	}
}

// nanotime is the runtime's monotonic clock, the one time.Now reads
// beside the wall clock.
//
// Note: one clock read where time.Now and time.Since make two each (wall
// and monotonic): the accounting's whole cost is these reads, paid per
// chunk (docs/measurements.md, "Worker accounts"). The runtime keeps this
// linkname for the many packages that use it.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// Nanotime returns the clock Account.Apply reads: the runtime's monotonic
// clock, CLOCK_MONOTONIC on Linux, one clock for every process of the
// machine. The cell runner reads it at a pass's ends.
func Nanotime() int64 { return nanotime() }

// NoteCPU records the CPU the calling thread is on, when the worker is
// done.
func (a *Account) NoteCPU() { a.CPU = CurrentCPU() }

// CurrentCPU returns the CPU the calling thread runs on (getcpu(2)), or -1.
func CurrentCPU() int {
	var cpu uint32
	_, _, errno := unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0)
	if errno != 0 {
		return -1
	}
	return int(cpu)
}

// AccountedTasks returns the tasks a trial's accounts ran.
func AccountedTasks(accts []Account) int {
	n := 0
	for _, a := range accts {
		n += a.Tasks
	}
	return n
}

// AllAccounts returns accts when every worker sent its account (have[i]),
// else nil: a trial with a worker unaccounted for keeps no accounts.
func AllAccounts(accts []Account, have []bool) []Account {
	for _, ok := range have {
		if !ok {
			return nil
		}
	}
	return accts
}
