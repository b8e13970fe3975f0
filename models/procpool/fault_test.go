package procpool

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/worker"
	"github.com/mpbench/mpbench/workloads"
)

// TestWorkerErrorCarriesStderr sends a worker a frame of an unknown kind
// (procpool: on the task queue, where any worker may take it; async: on
// the first worker's data channel): the worker fails, and Compute's error
// carries its PID, exit status and the message it wrote to stderr.
func TestWorkerErrorCarriesStderr(t *testing.T) {
	in, err := workloads.Square.New(map[string]int64{"tasks": 10000}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []models.Model{New(), NewAsync()} {
		t.Run(m.Name(), func(t *testing.T) {
			sess, err := m.Setup(context.Background(), models.Config{Workload: in, Cores: 2})
			if err != nil {
				t.Fatal(err)
			}
			pids := sess.(modeltest.PidSession).Pids()
			bad := worker.AppendControlFrame(nil, worker.FrameDone, 0, nil)
			bad[0] = 99
			var to *os.File
			candidates := pids
			switch s := sess.(type) {
			case *mapSession:
				to = s.queue
			case *asyncSession:
				to, candidates = s.g.Procs[0].Data, pids[:1]
			}
			if _, err := to.Write(bad); err != nil {
				t.Fatal(err)
			}
			_, err = sess.Compute(context.Background())
			sess.Teardown()
			if err == nil {
				t.Fatal("Compute succeeded with a failed worker")
			}
			for _, want := range []string{m.Name(), "exit status 1", "unknown kind 99"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
			named := false
			for _, pid := range candidates {
				named = named || strings.Contains(err.Error(), fmt.Sprintf("pid %d", pid))
			}
			if !named {
				t.Errorf("error %q names none of the workers %v that could have failed", err, candidates)
			}
			modeltest.AssertReaped(t, pids)
		})
	}
}
