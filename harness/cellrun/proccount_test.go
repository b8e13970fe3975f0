package cellrun

import (
	"io"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
)

// A process that faults in n fresh pages between two readings shows at
// least n minor faults in /proc/<pid>/stat.
func TestReadProcFaults(t *testing.T) {
	const n = 512
	pg := os.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, n*pg, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	s0, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		mem[i*pg] = 1
	}
	s1, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if minflt, _, _, _ := s1.sub(s0); minflt < n {
		t.Errorf("minflt %d after faulting in %d fresh pages, want at least %d", minflt, n, n)
	}
}

// A thread other than the main one sleeps m times (nanosleep: each one
// blocks, a voluntary switch, whatever the load): its switches are in its
// own /proc/<pid>/task/<tid>/status and in the sum over the threads (the
// main thread's /proc/<pid>/status alone would not hold them).
func TestReadProcSwitchesAllThreads(t *testing.T) {
	const m = 100
	ready, done, release := make(chan int), make(chan struct{}), make(chan struct{})
	sleeper := func() {
		// The thread exits with the goroutine, after the second reading.
		runtime.LockOSThread()
		ready <- syscall.Gettid()
		<-done
		for i := 0; i < m; i++ {
			ts := syscall.Timespec{Nsec: 50_000}
			syscall.Nanosleep(&ts, nil)
		}
		done <- struct{}{}
		<-release
	}
	go func() {
		runtime.LockOSThread()
		if syscall.Gettid() == os.Getpid() {
			// The main thread, held here: the sleeper gets another.
			go sleeper()
			<-release
			return
		}
		sleeper()
	}()
	defer close(release)
	tid := <-ready
	s0, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	done <- struct{}{}
	<-done
	s1, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if got := s1.threads[tid][0] - s0.threads[tid][0]; got < m {
		t.Errorf("thread %d (not the main one): %d voluntary switches after sleeping %d times, want at least %d", tid, got, m, m)
	}
	if _, _, nv, _ := s1.sub(s0); nv < m {
		t.Errorf("voluntary switches %d over all threads after a thread slept %d times, want at least %d", nv, m, m)
	}
}

// helperEnv makes the test binary the worker of TestWarmCountersWorker.
const helperEnv = "MPBENCH_PROCCOUNT_HELPER"

// TestMain makes the test binary the worker of TestWarmCountersWorker
// when helperEnv is set: on a byte from stdin, one of its threads (not the
// main one) sleeps helperSleeps times, then it says so on stdout and waits
// for stdin to close.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "" {
		os.Exit(m.Run())
	}
	var b [1]byte
	os.Stdin.Read(b[:])
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		for i := 0; i < helperSleeps; i++ {
			ts := syscall.Timespec{Nsec: 200_000}
			syscall.Nanosleep(&ts, nil) // one voluntary switch each
		}
		close(done)
	}()
	<-done
	os.Stdout.Write([]byte{1})
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

const helperSleeps = 50

// The warm counters add a live worker's faults and switches to the
// runner's, count the processes read, and drop (and say so) a worker that
// is gone or a PID that cannot be read.
func TestWarmCountersWorker(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer in.Close()
	pid := cmd.Process.Pid
	const gone = 1 << 30 // above pid_max: never a process
	workers := []int{pid, gone, os.Getpid()}

	r0 := readWarm(workers)
	if _, ok := r0.workers[pid]; !ok {
		t.Fatalf("worker %d not read", pid)
	}
	in.Write([]byte{1})
	var b [1]byte
	if _, err := io.ReadFull(out, b[:]); err != nil {
		t.Fatal(err)
	}
	r1 := readWarm(workers)
	w := warmCounters(r0, r1)
	if w.Procs != 2 || w.Unread != 1 {
		t.Errorf("procs %d, unread %d; want 2 (runner and worker; the runner listed as a worker is not counted twice) and 1 (PID %d)", w.Procs, w.Unread, gone)
	}
	self := r1.self.nvcsw - r0.self.nvcsw
	if got := w.Nvcsw - self; got < helperSleeps {
		t.Errorf("worker's voluntary switches %d (total %d less the runner's %d), want at least %d (its thread slept that many times)", got, w.Nvcsw, self, helperSleeps)
	}

	// The worker exits: a later reading does not have it, and it is not
	// counted (nor half-counted).
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	w = warmCounters(r0, readWarm(workers))
	if w.Procs != 1 || w.Unread != 2 {
		t.Errorf("after the worker exited: procs %d, unread %d; want 1 and 2", w.Procs, w.Unread)
	}

	// A reused PID (another start time) is not the same process.
	r1.workers[pid] = procSample{start: "other", minflt: 1 << 40}
	if w := warmCounters(r0, r1); w.Procs != 1 || w.MinFlt >= 1<<40 {
		t.Errorf("a reused PID was counted: procs %d, minflt %d", w.Procs, w.MinFlt)
	}
}
