package workers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mpbench/mpbench/worker"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// ready: say Ready, then Done on each Go, until EOF.
	worker.Register("workers-test-ready", func(_ context.Context, c *worker.Child) error {
		if err := Signal(c.Data, Ready); err != nil {
			return err
		}
		for {
			b, err := Next(c.Data)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if b == Go {
				Signal(c.Data, Done)
			}
		}
	})
	// fail: say Ready, and on Go write to stderr and exit 3.
	worker.Register("workers-test-fail", func(_ context.Context, c *worker.Child) error {
		Signal(c.Data, Ready)
		Next(c.Data)
		fmt.Fprintln(os.Stderr, "the last words")
		os.Exit(3)
		return nil
	})
	// quit: say Ready and exit 0 at once.
	worker.Register("workers-test-quit", func(_ context.Context, c *worker.Child) error {
		return Signal(c.Data, Ready)
	})
	if worker.IsChild() {
		os.Exit(worker.RunChild())
	}
	// Race-built children otherwise sleep a second at exit.
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	goleak.VerifyTestMain(m)
}

func start(t *testing.T, roles ...string) *Group {
	t.Helper()
	var specs []worker.Spec
	for _, r := range roles {
		specs = append(specs, worker.Spec{Role: r})
	}
	g, err := Start(context.Background(), "test", specs)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Await(context.Background(), Ready); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGoDone(t *testing.T) {
	g := start(t, "workers-test-ready", "workers-test-ready")
	if err := g.Send(Go); err != nil {
		t.Fatal(err)
	}
	if err := g.Await(context.Background(), Done); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
}

func TestAwaitReportsAFailedChild(t *testing.T) {
	g := start(t, "workers-test-ready", "workers-test-fail")
	g.Send(Go)
	err := g.Await(context.Background(), Done)
	var ee *worker.ExitError
	if !errors.As(err, &ee) || ee.Pid != g.Pids()[1] || ee.Status != "exit status 3" || !strings.Contains(ee.Stderr, "the last words") {
		t.Fatalf("Await = %v, want the failed child's ExitError", err)
	}
	if !strings.HasPrefix(err.Error(), "test: ") {
		t.Errorf("error %q does not start with the model name", err)
	}
	if err := g.Close(); err != nil {
		t.Fatalf("Close after a reported failure = %v, want nil", err)
	}
}

func TestAwaitReportsAnEarlyExit(t *testing.T) {
	g := start(t, "workers-test-quit")
	if err := g.Await(context.Background(), Done); !errors.Is(err, ErrEarlyExit) {
		t.Fatalf("Await = %v, want ErrEarlyExit", err)
	}
	g.Close()
}

func TestCloseReportsAnUnseenFailure(t *testing.T) {
	g := start(t, "workers-test-fail")
	g.Send(Go) // it fails, but nobody awaits it
	time.Sleep(100 * time.Millisecond)
	if err := g.Close(); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Close = %v, want the failure", err)
	}
}

func TestAwaitContext(t *testing.T) {
	g := start(t, "workers-test-ready")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := g.Await(ctx, Done); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Await = %v, want DeadlineExceeded", err)
	}
	if err := g.Close(); err != nil {
		t.Fatalf("Close after the context killed the children = %v, want nil", err)
	}
}
