package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	Register("test-echo", func(_ context.Context, c *Child) error {
		_, err := io.Copy(c.Data, c.Data)
		return err
	})
	Register("test-hello", func(_ context.Context, c *Child) error {
		// Take the config, say hello with a made-up warm-up, then wait
		// for the end.
		rd := NewFrameReader(c.Data, 0)
		if f, err := rd.Next(); err != nil || f.Kind != FrameConfig {
			return fmt.Errorf("config: %v %v", f.Kind, err)
		}
		if err := writeHello(NewFrameWriter(c.Data), 100*time.Microsecond); err != nil {
			return err
		}
		return AwaitEnd(rd)
	})
	Register("test-fail", func(_ context.Context, c *Child) error {
		fmt.Fprintln(os.Stderr, "line one")
		fmt.Fprintln(os.Stderr, "the last words")
		os.Exit(3)
		return nil
	})
	Register("test-block", func(ctx context.Context, c *Child) error {
		// Report the PID and block until the data channel closes.
		fmt.Fprintf(c.Data, "%d\n", os.Getpid())
		io.Copy(io.Discard, c.Data)
		return nil
	})
	Register("test-parent", func(ctx context.Context, c *Child) error {
		// Start a grandchild, report its PID, then block.
		g, err := Start(ctx, Spec{Role: "test-block"})
		if err != nil {
			return err
		}
		line, _ := bufio.NewReader(g.Data).ReadString('\n')
		fmt.Fprint(c.Data, line)
		io.Copy(io.Discard, c.Data)
		return nil
	})
	Register("test-files", func(_ context.Context, c *Child) error {
		_, err := fmt.Fprintf(c.Files[0], "%d files, args %v", len(c.Files), c.Args)
		return err
	})
	Register("test-cleanup", func(ctx context.Context, c *Child) error {
		// Say ready, wait for cancellation, then leave a mark: the
		// teardown a graceful stop makes room for.
		fmt.Fprintln(c.Data, "ready")
		<-ctx.Done()
		return os.WriteFile(c.Args[0], []byte("cleaned"), 0o644)
	})
	if IsChild() {
		os.Exit(RunChild())
	}
	os.Exit(m.Run())
}

func TestEchoOverDataChannel(t *testing.T) {
	p, err := Start(context.Background(), Spec{Role: "test-echo"})
	if err != nil {
		t.Fatal(err)
	}
	msg := "hello through fd 3"
	if _, err := p.Data.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(p.Data, buf); err != nil {
		t.Fatal(err)
	}
	if string(buf) != msg {
		t.Fatalf("got %q, want %q", buf, msg)
	}
	before := ReapedUsage().Children
	p.Data.Close()
	if err := p.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if after := ReapedUsage().Children; after != before+1 {
		t.Fatalf("reaped children %d → %d, want one more", before, after)
	}
}

func TestExitErrorNamesStatusAndStderr(t *testing.T) {
	p, err := Start(context.Background(), Spec{Role: "test-fail"})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Wait()
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("Wait = %v, want *ExitError", err)
	}
	if ee.Pid != p.Pid || ee.Status != "exit status 3" || !strings.Contains(ee.Stderr, "the last words") {
		t.Fatalf("ExitError = %+v", ee)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("pid %d", p.Pid)) {
		t.Fatalf("message %q does not name the pid", err)
	}
}

func TestChildBornOnCPUSet(t *testing.T) {
	cpus, err := AllowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	want := cpus[len(cpus)-1:]
	p, err := Start(context.Background(), Spec{Role: "test-block", CPUs: want})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Wait()
	defer p.Data.Close()
	if _, err := bufio.NewReader(p.Data).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	got, err := StatusField(p.Pid, "Cpus_allowed_list")
	if err != nil {
		t.Fatal(err)
	}
	if got != FormatCPUList(want) {
		t.Fatalf("child Cpus_allowed_list = %q, want %q", got, FormatCPUList(want))
	}
	// The parent's own set is unchanged.
	if after, _ := AllowedCPUs(); FormatCPUList(after) != FormatCPUList(cpus) {
		t.Fatalf("parent set changed: %v → %v", cpus, after)
	}
}

// startParent starts test-parent and returns it and its child's PID.
func startParent(t *testing.T) (*Process, int) {
	t.Helper()
	p, err := Start(context.Background(), Spec{Role: "test-parent"})
	if err != nil {
		t.Fatal(err)
	}
	var gpid int
	if _, err := fmt.Fscan(bufio.NewReader(p.Data), &gpid); err != nil {
		t.Fatal(err)
	}
	return p, gpid
}

// assertDiesWithParent fails t unless the grandchild gpid, whose parent
// was killed, is gone within 2 s (Pdeathsig).
func assertDiesWithParent(t *testing.T, gpid int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for alive(gpid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(gpid) {
		t.Fatalf("grandchild %d outlived its killed parent", gpid)
	}
}

func TestKillKillsGroup(t *testing.T) {
	p, gpid := startParent(t)
	if !alive(gpid) {
		t.Fatalf("grandchild %d not running", gpid)
	}
	start := time.Now()
	p.Kill()
	err := p.Wait()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Wait after Kill = %v, want killed", err)
	}
	if d := time.Since(start); d > WaitDelay+time.Second {
		t.Fatalf("Wait took %v after Kill", d)
	}
	assertDiesWithParent(t, gpid)
}

// The start context bounds the start only: a done one fails Start, and
// one that ends later leaves the child running.
func TestContextBoundsTheStartOnly(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if p, err := Start(done, Spec{Role: "test-block"}); !errors.Is(err, context.Canceled) {
		if err == nil {
			p.Kill()
			p.Wait()
		}
		t.Fatalf("Start with a done context = %v, want context.Canceled", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p, err := Start(ctx, Spec{Role: "test-block"})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := bufio.NewReader(p.Data).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if !alive(p.Pid) {
		t.Fatalf("child %d died with its start context", p.Pid)
	}
	p.Data.Close() // test-block exits at the end of its data channel
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestFilesAndArgs(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(context.Background(), Spec{Role: "test-files", Files: []*os.File{w}, Args: []string{"a", "b"}, NoData: true})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	if want := "1 files, args [a b]"; string(got) != want {
		t.Fatalf("child wrote %q, want %q", got, want)
	}
}

func TestCPUListRoundTrip(t *testing.T) {
	for _, s := range []string{"0", "0-3", "0-3,6", "1,3,5-7"} {
		cpus, err := ParseCPUList(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := FormatCPUList(cpus); got != s {
			t.Errorf("round trip %q → %v → %q", s, cpus, got)
		}
	}
	if _, err := ParseCPUList("3-1"); err == nil {
		t.Error("3-1 parsed")
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	st, err := StatusField(pid, "State")
	return err == nil && !strings.HasPrefix(st, "Z")
}

func TestStopLetsTheChildTearDown(t *testing.T) {
	for _, c := range []struct {
		name string
		stop func(p *Process)
		want bool
	}{
		{"stopped", func(p *Process) { p.Stop(time.Second) }, true},
		{"killed", func(p *Process) { p.Kill() }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			mark := filepath.Join(t.TempDir(), "mark")
			p, err := Start(context.Background(), Spec{Role: "test-cleanup", Args: []string{mark}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bufio.NewReader(p.Data).ReadString('\n'); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			c.stop(p)
			p.Wait()
			if d := time.Since(start); d > time.Second {
				t.Errorf("stopping took %v", d)
			}
			_, err = os.Stat(mark)
			if got := err == nil; got != c.want {
				t.Errorf("cleanup ran: %v, want %v", got, c.want)
			}
		})
	}
}

func TestStopEndsInAKill(t *testing.T) {
	// test-parent ignores SIGTERM's cancellation: only the kill after the
	// grace ends it, and its grandchild with it.
	p, gpid := startParent(t)
	start := time.Now()
	if err := p.Stop(200 * time.Millisecond); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Stop = %v, want killed", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 2*time.Second {
		t.Errorf("killed after %v, want just after the 200ms grace", d)
	}
	p.Wait()
	assertDiesWithParent(t, gpid)
}

// A child's stderr goes to a memfd the parent closes once the child is
// reaped, whether it exited cleanly or not: starting children leaks no
// descriptor.
func TestStartLeaksNoDescriptor(t *testing.T) {
	fds := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	before := fds()
	for range 10 {
		p, err := Start(context.Background(), Spec{Role: "test-fail"})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Wait(); err == nil || !strings.Contains(err.Error(), "the last words") {
			t.Fatalf("Wait = %v, want the child's stderr in it", err)
		}
		q, err := Start(context.Background(), Spec{Role: "test-echo"})
		if err != nil {
			t.Fatal(err)
		}
		q.Data.Close()
		if err := q.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	if after := fds(); after != before {
		t.Fatalf("%d descriptors open before 20 children, %d after", before, after)
	}
}
