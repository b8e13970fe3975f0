package worker

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// EnvWarmup is the environment variable that sets how much CPU time a
// worker process has used, counting its start, before it says it is
// ready (a Go duration; "0" turns warming off). Children inherit it.
const EnvWarmup = "MPBENCH_WORKER_WARMUP"

// DefaultWarmup is the warm-up when EnvWarmup is unset.
const DefaultWarmup = 10 * time.Millisecond

var warmSink uint64

// Warmup burns CPU in the calling process until the process has used the
// CPU time EnvWarmup asks (DefaultWarmup if unset), and returns how long
// it burned. Setup calls it before a child says hello.
//
// Note: on some virtual machines a freshly started process runs
// compute-bound code markedly slower until it has used some milliseconds
// of CPU time, whatever the code and whichever of its threads runs it.
// Workers start fresh in every trial's setup, so without warming that
// start-up penalty would land in the compute phase and cap the speedup of
// short trials; warming moves it into setup, where it is a cost of
// starting workers, reported apart (worker_warmup_ms).
func Warmup() time.Duration {
	want := DefaultWarmup
	if v, ok := os.LookupEnv(EnvWarmup); ok {
		if d, err := time.ParseDuration(v); err == nil {
			want = d
		} else if v == "0" {
			want = 0
		}
	}
	start := time.Now()
	for cpuTime() < want {
		var s uint64
		for i := range uint64(200_000) {
			s ^= i * 0x9e3779b97f4a7c15
		}
		warmSink += s
	}
	return time.Since(start)
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return time.Hour
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Mono is the system's CLOCK_MONOTONIC in nanoseconds: one clock for every
// process on the machine, so a child's readings compare with its parent's.
func Mono() int64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return 0
	}
	return ts.Nano()
}
