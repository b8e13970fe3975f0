package proc

import (
	"os"
	"syscall"
	"time"
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
// it burned. Workers call it in setup, before they say hello.
//
// Note: on the machines mpbench was built on (KVM guests), a freshly
// started process runs compute-bound code about 20 % slower until it has
// used about 10 ms of CPU time, whatever the code and whichever of its
// threads runs it (a standalone Go program shows the same; burning CPU
// first removes it). Workers start fresh in every trial's setup, so
// without warming, that start-up penalty — about 2.5 ms per process —
// lands in the compute phase and caps the cpu speedup at c = 2 near 1.45.
// Warming moves it into setup, where it is a cost of starting workers.
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
