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
	if cerr := g.Close(time.Second); !errors.As(cerr, &ee) || ee.Pid != victim.Pid {
		t.Fatalf("Close = %v, want the victim's failure", cerr)
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
