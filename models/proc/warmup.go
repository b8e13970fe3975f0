package proc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/mpbench/mpbench/workloads"
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

// ErrChildFailed is wrapped by errors that carry a child's own error frame.
// It does not wrap ErrProtocol: the child exits next, and Group.Run
// reports that exit, with its status and stderr, instead.
var ErrChildFailed = errors.New("child failed")

// WriteHello says that this child is ready: a hello frame whose seq is its
// PID and whose payload is how long it warmed up (see Warmup).
func WriteHello(w *FrameWriter, warm time.Duration) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(warm.Nanoseconds()))
	return w.WriteControl(FrameHello, uint64(os.Getpid()), b[:])
}

// ReadHello reads the hello of the child pid and returns the warm-up it
// reports. An error frame instead is the child's failure.
func ReadHello(r *FrameReader, pid int) (time.Duration, error) {
	f, err := r.Next()
	if err != nil {
		return 0, err
	}
	switch {
	case f.Kind == FrameError:
		return 0, fmt.Errorf("%w: pid %d: %s", ErrChildFailed, pid, f.Payload)
	case f.Kind != FrameHello || f.Seq != uint64(pid) || len(f.Payload) != 8:
		return 0, fmt.Errorf("%w: pid %d sent %v seq %d, want its hello", ErrProtocol, pid, f.Kind, f.Seq)
	}
	return time.Duration(binary.LittleEndian.Uint64(f.Payload)), nil
}

// StartStats sums up how long a group of children took to become ready.
type StartStats struct {
	began time.Time
	ready []time.Duration // per child: hello arrival − began − warm-up
	warm  []time.Duration
}

// NewStartStats starts the clock; call it just before StartGroup.
func NewStartStats(children int) *StartStats {
	return &StartStats{began: time.Now(), ready: make([]time.Duration, children), warm: make([]time.Duration, children)}
}

// Hello records child i's hello, now, with its warm-up.
func (s *StartStats) Hello(i int, warm time.Duration) {
	s.ready[i], s.warm[i] = time.Since(s.began)-warm, warm
}

// Metrics returns worker_start_ms, the wall time from the start of the
// group to the last child ready, less that child's warm-up, per child
// started (exec, runtime start and handshake: what starting a process
// costs), and worker_warmup_ms, the longest warm-up.
func (s *StartStats) Metrics() map[string]float64 {
	var last, warm time.Duration
	for i := range s.ready {
		last, warm = max(last, s.ready[i]), max(warm, s.warm[i])
	}
	n := max(len(s.ready), 1)
	return map[string]float64{
		"worker_start_ms":  float64(last.Microseconds()) / 1e3 / float64(n),
		"worker_warmup_ms": float64(warm.Microseconds()) / 1e3,
	}
}

// MaxFrameTasks is the most tasks one frame of DefaultMaxFramePayload holds.
const MaxFrameTasks = DefaultMaxFramePayload / 16

// WorkerBuffers is what a frame-serving worker computes with.
type WorkerBuffers struct {
	Workload *workloads.Workload
	Tasks    []workloads.Task
	Results  []uint64
}

// ServeSetup is the setup every frame-serving worker does: it reads the
// config frame (the workload's name, and in Seq the largest batch it will
// get), sizes and touches every buffer so no page fault lands in compute,
// warms up (Warmup) and says hello.
func ServeSetup(rd *FrameReader, wr *FrameWriter) (*WorkerBuffers, error) {
	f, err := rd.Next()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if f.Kind != FrameConfig || f.Seq < 1 || f.Seq > MaxFrameTasks {
		return nil, fmt.Errorf("%w: first frame %v seq %d, want config", ErrProtocol, f.Kind, f.Seq)
	}
	wl, err := workloads.Lookup(string(f.Payload))
	if err != nil {
		return nil, err
	}
	capacity := int(f.Seq)
	rd.SetMaxPayload(16 * capacity)
	rd.Reserve(16 * capacity)
	wr.Reserve(FrameHeaderSize + 8*capacity)
	b := &WorkerBuffers{Workload: wl, Tasks: make([]workloads.Task, capacity), Results: make([]uint64, capacity)}
	clear(b.Tasks)               // fault the pages in now (writes, not reads of the zero page)
	wl.Apply(b.Tasks, b.Results) // and touch the results
	if err := WriteHello(wr, Warmup()); err != nil {
		return nil, err
	}
	return b, nil
}
