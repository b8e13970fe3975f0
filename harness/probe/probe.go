package probe

import (
	"context"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/mpbench/mpbench/runfile"
	"github.com/mpbench/mpbench/stats"
	"github.com/mpbench/mpbench/worker"
	"golang.org/x/sys/unix"
)

// RoleName is the role of the probe process; exitRole is the worker
// start probe's child, which reports when its role began and exits.
const (
	RoleName = "probe"
	exitRole = "probe-exit"
)

// TrivialProgram is the program whose exec worker start is set against.
const TrivialProgram = "/bin/true"

// Options size the probe. Each figure gets Reps samples.
type Options struct {
	Reps       int             `json:"reps"`
	FaultPages int             `json:"fault_pages"` // pages touched per fault sample
	RoundTrips int             `json:"round_trips"` // round trips per pipe/socket sample
	Windows    []time.Duration `json:"windows"`     // CPU speed windows
}

// Default is `mpbench probe`'s size: about 8 s on a 2-CPU machine,
// mostly the CPU speed snapshot (Reps × Σ windows × (CPUs + 1)).
func Default() Options {
	return Options{Reps: 15, FaultPages: 2048, RoundTrips: 200, Windows: []time.Duration{time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond}}
}

// Short is `mpbench run`'s size, taken at the run's start and end: 6
// samples, the fewest with a 95 % CI of the median, and fewer pages and
// round trips per sample; about 2.4 s on a 2-CPU machine, most of it the
// CPU speed windows, which keep Default's 1, 10 and 100 ms.
func Short() Options {
	o := Default()
	o.Reps, o.FaultPages, o.RoundTrips = 6, 512, 50
	return o
}

// Register registers the probe's roles; mpbench-worker and test binaries
// call it before worker.RunChild.
func Register() {
	worker.Register(RoleName, role)
	worker.Register(exitRole, func(_ context.Context, c *worker.Child) error {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(worker.Mono()))
		_, err := c.Data.Write(b[:])
		return err
	})
}

// Run runs the probe in a fresh process of exe (empty: this process's
// own executable) confined to cpus (nil: this process's set), with
// GOMAXPROCS set to their count.
func Run(ctx context.Context, exe string, cpus []int, opt Options) (*runfile.Probe, error) {
	start := time.Now()
	if cpus == nil {
		var err error
		if cpus, err = worker.AllowedCPUs(); err != nil {
			return nil, err
		}
	}
	p, err := worker.Start(ctx, worker.Spec{Role: RoleName, Path: exe, CPUs: cpus, Env: []string{"GOMAXPROCS=" + strconv.Itoa(len(cpus))}})
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { p.Stop(time.Second) })
	defer stop()
	var res runfile.Probe
	if err := json.NewEncoder(p.Data).Encode(opt); err != nil {
		p.Kill()
	}
	derr := json.NewDecoder(p.Data).Decode(&res)
	if werr := p.Wait(); werr != nil {
		return nil, fmt.Errorf("probe: %w", werr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, fmt.Errorf("probe: read result: %w", derr)
	}
	res.WallNs = time.Since(start).Nanoseconds()
	return &res, nil
}

// role is the probe process.
func role(ctx context.Context, c *worker.Child) error {
	var opt Options
	if err := json.NewDecoder(c.Data).Decode(&opt); err != nil {
		return fmt.Errorf("read probe options: %w", err)
	}
	opt.Reps = max(opt.Reps, 1)
	cpus, err := worker.AllowedCPUs()
	if err != nil {
		return err
	}
	res := runfile.Probe{CPUs: worker.FormatCPUList(cpus)}
	skip := func(name string, err error) {
		res.Skipped = append(res.Skipped, runfile.Skip{Model: name, Reason: err.Error()})
	}
	add := func(name string, items []runfile.ProbeItem, err error) {
		if err != nil {
			skip(name, err)
		}
		res.Items = append(res.Items, items...)
	}
	parts := []struct {
		name string
		f    func() ([]runfile.ProbeItem, error)
	}{
		{"page fault", func() ([]runfile.ProbeItem, error) { return pageFault(cpus[0], opt) }},
		{"worker start", func() ([]runfile.ProbeItem, error) { return workerStart(ctx, cpus[0], opt) }},
		{"pipe round trip", func() ([]runfile.ProbeItem, error) { return pipeRoundTrips(cpus, opt) }},
		{"unix socket round trip", func() ([]runfile.ProbeItem, error) { return socketRoundTrip(opt) }},
		{"cpu speed", func() ([]runfile.ProbeItem, error) { return cpuSpeed(cpus, opt) }},
	}
	for _, p := range parts {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		items, err := p.f()
		add(p.name, items, err)
	}
	return json.NewEncoder(c.Data).Encode(res)
}

// Item summarises samples xs of the figure name in unit.
func Item(name, unit string, xs []float64) runfile.ProbeItem {
	d := stats.Summarize(xs)
	return runfile.ProbeItem{Name: name, Unit: unit, Median: d.Median, CILow: d.CILow, CIHigh: d.CIHigh, CILevel: d.CILevel, N: d.N}
}

// onCPU runs f on a thread pinned to cpu. The thread is locked and not
// unpinned: it ends with the goroutine that ran f, and no other goroutine
// ever runs on it.
func onCPU(cpu int, f func()) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with us
		var set unix.CPUSet
		set.Set(cpu)
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			errc <- fmt.Errorf("pin to CPU %d: %w", cpu, err)
			return
		}
		f()
		errc <- nil
	}()
	return <-errc
}

func pageFault(cpu int, opt Options) ([]runfile.ProbeItem, error) {
	pages := max(opt.FaultPages, 1)
	ps := os.Getpagesize()
	var xs []float64
	var ferr error
	err := onCPU(cpu, func() {
		for range opt.Reps {
			b, err := unix.Mmap(-1, 0, pages*ps, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
			if err != nil {
				ferr = fmt.Errorf("mmap: %w", err)
				return
			}
			t0 := time.Now()
			for i := 0; i < len(b); i += ps {
				b[i] = 1
			}
			dt := time.Since(t0)
			unix.Munmap(b)
			xs = append(xs, float64(dt.Nanoseconds())/float64(pages)/1e3)
		}
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}
	it := Item("minor page fault", "µs", xs)
	it.Note = fmt.Sprintf("fresh anonymous memory, %d pages of %d B touched once", pages, ps)
	return []runfile.ProbeItem{it}, nil
}

func workerStart(ctx context.Context, cpu int, opt Options) ([]runfile.ProbeItem, error) {
	var first, whole, trivial []float64
	for range opt.Reps {
		t0 := worker.Mono()
		p, err := worker.Start(ctx, worker.Spec{Role: exitRole, CPUs: []int{cpu}})
		if err != nil {
			return nil, err
		}
		var b [8]byte
		_, rerr := p.Data.Read(b[:])
		if werr := p.Wait(); werr != nil || rerr != nil {
			return nil, fmt.Errorf("%s child: %v", exitRole, firstErr(werr, rerr))
		}
		t1 := worker.Mono()
		first = append(first, float64(int64(binary.LittleEndian.Uint64(b[:]))-t0)/1e6)
		whole = append(whole, float64(t1-t0)/1e6)
	}
	items := []runfile.ProbeItem{Item("worker exec (to first line)", "ms", first), Item("worker start to exit", "ms", whole)}
	items[0].Note = "fork and exec of this executable to its role's first line, as worker_exec_ms"
	items[1].Note = "the same, to the child's exit and reaping"
	kind, err := linkKind(TrivialProgram)
	if err != nil {
		return items, err
	}
	for range opt.Reps {
		t0 := worker.Mono()
		p, err := worker.Start(ctx, worker.Spec{Path: TrivialProgram, NoData: true, CPUs: []int{cpu}})
		if err != nil {
			return items, err
		}
		if err := p.Wait(); err != nil {
			return items, err
		}
		trivial = append(trivial, float64(worker.Mono()-t0)/1e6)
	}
	it := Item("exec "+TrivialProgram+" to exit", "ms", trivial)
	it.Note = kind + ", through the same start path"
	return append(items, it), nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// linkKind says whether the ELF executable at path is static or dynamic.
func linkKind(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "dynamically linked", nil
		}
	}
	return "statically linked", nil
}

// pipeRoundTrips measures a 1-byte ping-pong over two pipes between two
// threads, both on cpus[0], then on cpus[0] and cpus[1].
func pipeRoundTrips(cpus []int, opt Options) ([]runfile.ProbeItem, error) {
	var items []runfile.ProbeItem
	same, err := pingPong(cpus[0], cpus[0], opt)
	if err != nil {
		return nil, err
	}
	it := Item("pipe round trip, same CPU", "µs", same)
	it.Note = "1 byte each way between two threads pinned to CPU " + strconv.Itoa(cpus[0])
	items = append(items, it)
	if len(cpus) < 2 {
		return items, fmt.Errorf("across CPUs: one CPU allowed")
	}
	across, err := pingPong(cpus[0], cpus[1], opt)
	if err != nil {
		return items, err
	}
	it = Item("pipe round trip, two CPUs", "µs", across)
	it.Note = fmt.Sprintf("1 byte each way between threads pinned to CPUs %d and %d", cpus[0], cpus[1])
	return append(items, it), nil
}

func pingPong(a, b int, opt Options) ([]float64, error) {
	var ping, pong [2]int
	if err := unix.Pipe2(ping[:], unix.O_CLOEXEC); err != nil {
		return nil, err
	}
	defer unix.Close(ping[0])
	defer unix.Close(ping[1])
	if err := unix.Pipe2(pong[:], unix.O_CLOEXEC); err != nil {
		return nil, err
	}
	defer unix.Close(pong[0])
	defer unix.Close(pong[1])
	n := max(opt.RoundTrips, 1)
	total := (opt.Reps + 1) * n // one batch of warming
	echo := make(chan error, 1)
	go func() {
		echo <- onCPU(b, func() {
			var buf [1]byte
			for range total {
				if _, err := unix.Read(ping[0], buf[:]); err != nil {
					return
				}
				unix.Write(pong[1], buf[:])
			}
		})
	}()
	var xs []float64
	var ferr error
	err := onCPU(a, func() {
		buf := []byte{1}
		for r := range opt.Reps + 1 {
			t0 := time.Now()
			for range n {
				if _, err := unix.Write(ping[1], buf); err != nil {
					ferr = err
					return
				}
				if _, err := unix.Read(pong[0], buf); err != nil {
					ferr = err
					return
				}
			}
			if r > 0 {
				xs = append(xs, float64(time.Since(t0).Nanoseconds())/float64(n)/1e3)
			}
		}
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}
	return xs, <-echo
}

// socketRoundTrip measures one blocking request/response of 64 bytes
// each way over a unix stream socket, both ends left to the kernel's
// placement as the manager model's are.
func socketRoundTrip(opt Options) ([]runfile.ProbeItem, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	n := max(opt.RoundTrips, 1)
	total := (opt.Reps + 1) * n
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var buf [64]byte
		for range total {
			if _, err := unix.Read(fds[1], buf[:]); err != nil {
				return
			}
			unix.Write(fds[1], buf[:])
		}
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var xs []float64
	buf := make([]byte, 64)
	for r := range opt.Reps + 1 {
		t0 := time.Now()
		for range n {
			if _, err := unix.Write(fds[0], buf); err != nil {
				return nil, err
			}
			if _, err := readFull(fds[0], buf); err != nil {
				return nil, err
			}
		}
		if r > 0 {
			xs = append(xs, float64(time.Since(t0).Nanoseconds())/float64(n)/1e3)
		}
	}
	it := Item("unix socket round trip", "µs", xs)
	it.Note = "64-byte request and response, blocking, both ends placed by the kernel"
	return []runfile.ProbeItem{it}, nil
}

func readFull(fd int, b []byte) (int, error) {
	got := 0
	for got < len(b) {
		n, err := unix.Read(fd, b[got:])
		if err != nil {
			return got, err
		}
		if n == 0 {
			return got, fmt.Errorf("socket closed")
		}
		got += n
	}
	return got, nil
}
