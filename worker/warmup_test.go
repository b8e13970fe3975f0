package worker

import (
	"context"
	"testing"
	"time"
)

func TestWarmupBurnsUpToProcessCPUTime(t *testing.T) {
	want := cpuTime() + 5*time.Millisecond
	t.Setenv(EnvWarmup, want.String())
	Warmup()
	if got := cpuTime(); got < want {
		t.Fatalf("process CPU time %v after warming to %v", got, want)
	}
	t.Setenv(EnvWarmup, "0")
	if d := Warmup(); d > time.Millisecond {
		t.Fatalf("warming turned off took %v", d)
	}
}

// The start metrics split a child's start into exec (fork, exec, runtime
// and package init: up to RunChild) and handshake (RunChild to hello, less
// the warm-up), on one clock shared by parent and child.
func TestStartStatsSplitsExecFromHandshake(t *testing.T) {
	specs := []Spec{{Role: "test-hello"}, {Role: "test-hello"}}
	stats := NewStartStats(len(specs))
	g, err := StartGroup(context.Background(), specs)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close(time.Second)
	for i, p := range g.Procs {
		h, err := ReadHello(NewFrameReader(p.Data, 0), p.Pid)
		if err != nil {
			t.Fatal(err)
		}
		if h.Warm != 3*time.Millisecond || h.Main <= p.started || h.Sent < h.Main {
			t.Fatalf("hello %+v from a child started at %d", h, p.started)
		}
		stats.Hello(i, p, h)
	}
	m := stats.Metrics()
	exec, hs, start := m["worker_exec_ms"], m["worker_handshake_ms"], m["worker_start_ms"]
	// test-hello claims a 3 ms warm-up it never burned, so its handshake
	// less that warm-up may be negative, but not by more.
	if exec <= 0 || hs < -3.001 || m["worker_warmup_ms"] != 3 {
		t.Fatalf("metrics %v: want exec > 0 and the warm-up reported", m)
	}
	// Children start one after another and run side by side: per child,
	// the group's start is about one child's exec plus handshake.
	if start <= 0 || start > exec+max(hs, 0)+50 {
		t.Fatalf("metrics %v", m)
	}
}

// awaitExit returns once the child has exited, not before, and at once for
// a PID that cannot be watched.
func TestAwaitExitWaitsForTheExit(t *testing.T) {
	p, err := Start(context.Background(), Spec{Role: "test-block"})
	if err != nil {
		t.Fatal(err)
	}
	returned := make(chan struct{})
	go func() {
		awaitExit(p.Pid)
		close(returned)
	}()
	select {
	case <-returned:
		t.Fatal("awaitExit returned while the child was alive")
	case <-time.After(100 * time.Millisecond):
	}
	p.Data.Close() // test-block exits when its data channel closes
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("awaitExit did not return after the child exited")
	}
	p.Wait()
	done := make(chan struct{})
	go func() { awaitExit(-1); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("awaitExit(-1) blocked")
	}
}
