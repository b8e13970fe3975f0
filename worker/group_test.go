package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mpbench/mpbench/workloads"
)

func init() {
	// A race-enabled child sleeps a second at exit unless told not to
	// (GORACE atexit_sleep_ms); children inherit this.
	if _, set := os.LookupEnv("GORACE"); !set {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	// test-drain-file reads its first file to the end and exits.
	Register("test-drain-file", func(ctx context.Context, c *Child) error {
		_, err := io.Copy(io.Discard, c.Files[0])
		return err
	})
	// test-serve does the handshake, then answers each go with a done
	// until its data channel ends.
	Register("test-serve", func(ctx context.Context, c *Child) error {
		rd, wr := NewFrameReader(c.Data, 0), NewFrameWriter(c.Data)
		if err := Setup(rd, wr, nil); err != nil {
			return err
		}
		return GoDone(rd, wr, func() error { return nil })
	})
	// test-block-after-setup does the handshake and waits for the end.
	Register("test-block-after-setup", func(ctx context.Context, c *Child) error {
		rd, wr := NewFrameReader(c.Data, 0), NewFrameWriter(c.Data)
		if err := Setup(rd, wr, nil); err != nil {
			return err
		}
		_, err := io.Copy(io.Discard, c.Data)
		return err
	})
	// test-fail-on-go does the handshake, and on go writes to stderr and
	// exits 3.
	Register("test-fail-on-go", func(ctx context.Context, c *Child) error {
		rd, wr := NewFrameReader(c.Data, 0), NewFrameWriter(c.Data)
		if err := Setup(rd, wr, nil); err != nil {
			return err
		}
		AwaitGo(rd)
		fmt.Fprintln(os.Stderr, "the last words")
		os.Exit(3)
		return nil
	})
	// test-quit does the handshake and exits 0 at once.
	Register("test-quit", func(ctx context.Context, c *Child) error {
		return Setup(NewFrameReader(c.Data, 0), NewFrameWriter(c.Data), nil)
	})
	// test-setup-fails reads its config and fails with a message.
	Register("test-setup-fails", func(ctx context.Context, c *Child) error {
		return Setup(NewFrameReader(c.Data, 0), NewFrameWriter(c.Data), func(f Frame) error {
			return fmt.Errorf("cannot set up %q", f.Payload)
		})
	})
	// test-tasks takes the tasks that follow its config and reports
	// their count and sum in its hello's warm-up.
	Register("test-tasks", func(ctx context.Context, c *Child) error {
		rd, wr := NewFrameReader(c.Data, 0), NewFrameWriter(c.Data)
		f, err := rd.Next()
		if err != nil {
			return err
		}
		tasks, err := ReadTasks(rd, int(f.Seq))
		if err != nil {
			return err
		}
		var sum uint64
		for _, t := range tasks {
			sum += t.A + t.B
		}
		if err := writeHello(wr, time.Duration(sum)); err != nil {
			return err
		}
		return AwaitEnd(rd)
	})
	// test-deaf reports its PID and then ignores the end of its input.
	Register("test-deaf", func(ctx context.Context, c *Child) error {
		fmt.Fprintf(c.Data, "%d\n", syscall.Getpid())
		io.Copy(io.Discard, c.Data)
		time.Sleep(time.Minute)
		return nil
	})
}

func startBlocked(t *testing.T, n int, role string) *Group {
	t.Helper()
	specs := make([]Spec, n)
	for i := range specs {
		specs[i] = Spec{Role: role}
	}
	g, err := StartGroup(context.Background(), specs)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range g.Procs {
		var pid int
		if _, err := fmt.Fscan(bufio.NewReader(p.Data), &pid); err != nil || pid != p.Pid {
			t.Fatalf("hello from %d: %d, %v", p.Pid, pid, err)
		}
	}
	return g
}

func assertGone(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d still alive", pid)
		}
		if st, err := StatusField(pid, "State"); err == nil {
			t.Errorf("pid %d not reaped: state %s", pid, st)
		}
	}
}

func TestGroupCloseReapsAll(t *testing.T) {
	g := startBlocked(t, 3, "test-block")
	pids := g.Pids()
	if err := g.Close(time.Second); err != nil {
		t.Fatalf("Close: %v", err)
	}
	assertGone(t, pids)
	if err := g.Close(time.Second); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestGroupCloseKillsStragglers(t *testing.T) {
	g := startBlocked(t, 2, "test-deaf")
	pids := g.Pids()
	start := time.Now()
	err := g.Close(100 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not exit within 100ms") {
		t.Fatalf("Close = %v, want a killed straggler", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %v", d)
	}
	assertGone(t, pids)
}

// blockedReaders returns one fn per child that reads its data channel
// until it fails.
func blockedReaders(g *Group) []func(context.Context) error {
	var fns []func(context.Context) error
	for _, p := range g.Procs {
		fns = append(fns, func(context.Context) error {
			_, err := io.Copy(io.Discard, p.Data)
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return err
		})
	}
	return fns
}

func TestGroupRunReportsDeadChild(t *testing.T) {
	g := startBlocked(t, 3, "test-block")
	pids := g.Pids()
	victim := g.Procs[1]
	time.AfterFunc(50*time.Millisecond, func() { syscall.Kill(victim.Pid, syscall.SIGKILL) })
	start := time.Now()
	err := g.Run(context.Background(), blockedReaders(g)...)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Run took %v after a child died", d)
	}
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Pid != victim.Pid || ee.Status != "signal: killed" {
		t.Fatalf("Run = %v, want the victim %d killed", err, victim.Pid)
	}
	// Run returned the failure: Close does not repeat it, nor report the
	// children that the failure killed.
	if cerr := g.Close(time.Second); cerr != nil {
		t.Fatalf("Close after Run reported the failure = %v, want nil", cerr)
	}
	assertGone(t, pids)
}

func TestGroupRunCancelled(t *testing.T) {
	g := startBlocked(t, 2, "test-block")
	defer g.Close(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := g.Run(ctx, blockedReaders(g)...); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Run took %v after its context ended", d)
	}
}

func TestGroupRunProtocolError(t *testing.T) {
	g := startBlocked(t, 2, "test-block")
	defer g.Close(time.Second)
	bad := func(context.Context) error { return fmt.Errorf("%w: unexpected frame", ErrProtocol) }
	start := time.Now()
	err := g.Run(context.Background(), append(blockedReaders(g), bad)...)
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("Run = %v, want the protocol error", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Run took %v to report a protocol error", d)
	}
}

func TestGroupRunSuccessLeavesChildren(t *testing.T) {
	g, err := StartGroup(context.Background(), []Spec{{Role: "test-echo"}, {Role: "test-echo"}})
	if err != nil {
		t.Fatal(err)
	}
	fns := []func(context.Context) error{}
	for _, p := range g.Procs {
		fns = append(fns, func(context.Context) error {
			if _, err := p.Data.Write([]byte("x")); err != nil {
				return err
			}
			_, err := io.ReadFull(p.Data, make([]byte, 1))
			return err
		})
	}
	if err := g.Run(context.Background(), fns...); err != nil {
		t.Fatal(err)
	}
	for _, p := range g.Procs {
		if !alive(p.Pid) {
			t.Fatalf("pid %d died after a successful Run", p.Pid)
		}
	}
	if err := g.Close(time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestGroupCloseInputs closes a pipe that feeds a child: its exit at the
// end of that input is not a failure.
func TestGroupCloseInputs(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	g, err := StartGroup(context.Background(), []Spec{{Role: "test-drain-file", Files: []*os.File{r}, NoData: true}})
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("some input")); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(time.Second, w); err != nil {
		t.Fatalf("Close = %v, want a clean end", err)
	}
	select {
	case <-g.Failed():
		t.Fatalf("the child's exit at the end of its input was a failure: %v", g.Err())
	default:
	}
}

func startServing(t *testing.T, roles ...string) *Group {
	t.Helper()
	var specs []Spec
	for _, r := range roles {
		specs = append(specs, Spec{Role: r})
	}
	g, err := StartGroup(context.Background(), specs)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Handshake(context.Background(), HandshakeTimeout, func(int) Config { return Config{Payload: []byte("x")} }); err != nil {
		g.Close(0)
		t.Fatal(err)
	}
	return g
}

func TestGoAwaitDone(t *testing.T) {
	g := startServing(t, "test-serve", "test-serve")
	for range 3 {
		if err := g.Go(); err != nil {
			t.Fatal(err)
		}
		if err := g.AwaitDone(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Go(1); err != nil {
		t.Fatal(err)
	}
	if err := g.AwaitDone(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(time.Second); err != nil {
		t.Fatalf("Close = %v", err)
	}
}

// The parent's side of the data channel is pollable: a goroutine waiting
// on it (AwaitDone, Run's readers) parks in the netpoller instead of
// holding a thread and its P in a read.
func TestDataChannelIsPollable(t *testing.T) {
	g := startServing(t, "test-serve")
	defer g.Close(time.Second)
	if err := g.Procs[0].Data.SetReadDeadline(time.Time{}); err != nil {
		t.Fatalf("SetReadDeadline on the data channel: %v (not in the netpoller)", err)
	}
}

func TestAwaitDoneReportsAFailedChild(t *testing.T) {
	g := startServing(t, "test-serve", "test-fail-on-go")
	pids := g.Pids()
	g.Go()
	start := time.Now()
	err := g.AwaitDone(context.Background())
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Pid != pids[1] || ee.Status != "exit status 3" || !strings.Contains(ee.Stderr, "the last words") {
		t.Fatalf("AwaitDone = %v, want the failed child's ExitError", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("AwaitDone took %v", d)
	}
	if err := g.Close(time.Second); err != nil {
		t.Fatalf("Close after a reported failure = %v, want nil", err)
	}
	assertGone(t, pids)
}

// A failure kills the other children at once: a waiter blocked on a
// healthy child's channel returns with the failure.
func TestFailureKillsTheOthers(t *testing.T) {
	g := startServing(t, "test-block-after-setup", "test-fail-on-go")
	pids := g.Pids()
	g.Go(1)
	err := g.AwaitDone(context.Background(), 0) // child 0 never says done
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Pid != pids[1] {
		t.Fatalf("AwaitDone = %v, want child 1's failure", err)
	}
	g.Close(time.Second)
	assertGone(t, pids)
}

func TestAwaitDoneReportsAnEarlyExit(t *testing.T) {
	g := startServing(t, "test-quit")
	err := g.AwaitDone(context.Background())
	if !errors.Is(err, ErrEarlyExit) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", g.Pids()[0])) {
		t.Fatalf("AwaitDone = %v, want ErrEarlyExit naming the child", err)
	}
	g.Close(time.Second)
}

func TestCloseReportsAnUnseenFailure(t *testing.T) {
	g := startServing(t, "test-fail-on-go")
	g.Go() // it fails, but nobody awaits it
	select {
	case <-g.Failed():
	case <-time.After(5 * time.Second):
		t.Fatal("no failure")
	}
	if err := g.Close(time.Second); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Close = %v, want the failure", err)
	}
}

func TestAwaitDoneContext(t *testing.T) {
	g := startServing(t, "test-block-after-setup")
	pids := g.Pids()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := g.AwaitDone(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AwaitDone = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("AwaitDone took %v after its context ended", d)
	}
	if err := g.Close(time.Second); err != nil {
		t.Fatalf("Close after the context killed the children = %v, want nil", err)
	}
	assertGone(t, pids)
}

func TestHandshakeReportsASetupFailure(t *testing.T) {
	g, err := StartGroup(context.Background(), []Spec{{Role: "test-serve"}, {Role: "test-setup-fails"}})
	if err != nil {
		t.Fatal(err)
	}
	pids := g.Pids()
	err = g.Handshake(context.Background(), HandshakeTimeout, func(i int) Config { return Config{Payload: []byte("the workload")} })
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Pid != pids[1] || ee.Status != "exit status 1" || !strings.Contains(ee.Stderr, `cannot set up "the workload"`) {
		t.Fatalf("Handshake = %v, want the child's ExitError with its message", err)
	}
	if err := g.Close(time.Second); err != nil {
		t.Fatalf("Close after a reported failure = %v, want nil", err)
	}
	assertGone(t, pids)
}

func TestHandshakeTimeout(t *testing.T) {
	g, err := StartGroup(context.Background(), []Spec{{Role: "test-block"}})
	if err != nil {
		t.Fatal(err)
	}
	err = g.Handshake(context.Background(), 100*time.Millisecond, func(int) Config { return Config{} })
	if err == nil || !strings.Contains(err.Error(), "did not say hello within 100ms") {
		t.Fatalf("Handshake = %v, want a timeout", err)
	}
	if err := g.Close(time.Second); err != nil {
		t.Fatalf("Close = %v", err)
	}
}

// Config.Tasks follow the config in frames of HandshakeFrameTasks, and
// ReadTasks reads them back whole.
func TestHandshakeSendsTasks(t *testing.T) {
	for _, n := range []int{0, 1, HandshakeFrameTasks, 2*HandshakeFrameTasks + 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			tasks := make([]workloads.Task, n)
			var sum uint64
			for i := range tasks {
				tasks[i] = workloads.Task{A: uint64(i), B: 3}
				sum += uint64(i) + 3
			}
			g, err := StartGroup(context.Background(), []Spec{{Role: "test-tasks"}})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close(time.Second)
			if err := g.Handshake(context.Background(), HandshakeTimeout, func(int) Config { return Config{Seq: uint64(n), Tasks: tasks} }); err != nil {
				t.Fatal(err)
			}
			if got := g.start.warm[0]; got != time.Duration(sum) {
				t.Fatalf("the child summed its tasks to %d, want %d", got, sum)
			}
		})
	}
}

func TestStartGroupHonoursItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := StartGroup(ctx, []Spec{{Role: "test-serve"}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("StartGroup = %v, want context.Canceled", err)
	}
}
