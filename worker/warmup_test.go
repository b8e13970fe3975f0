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
func TestStartMetricsSplitExecFromHandshake(t *testing.T) {
	g, err := StartGroup(context.Background(), []Spec{{Role: "test-hello"}, {Role: "test-hello"}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close(time.Second)
	if err := g.Handshake(context.Background(), HandshakeTimeout, func(int) Config { return Config{} }); err != nil {
		t.Fatal(err)
	}
	m := g.StartMetrics()
	exec, hs, warm := m["worker_exec_ms"], m["worker_handshake_ms"], m["worker_warmup_ms"]
	// test-hello claims a 0.1 ms warm-up it never burned, so its
	// handshake less that warm-up may be negative, but not by more.
	if exec <= 0 || hs < -0.101 || warm != 0.1 {
		t.Fatalf("metrics %v: want exec > 0 and the warm-up reported", m)
	}
	// Children start one after another and run side by side: per child,
	// the group's start is about one child's exec plus handshake.
	if start := m["worker_start_ms"]; start <= 0 || start > exec+max(hs, 0)+50 {
		t.Fatalf("metrics %v", m)
	}
	for i, p := range g.Procs {
		if h := g.start; h.exec[i] <= 0 || p.started <= 0 {
			t.Fatalf("child %d: exec %v, started %d", i, h.exec[i], p.started)
		}
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
