package procpool

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/internal/modeltest"
	"github.com/mpbench/mpbench/models/proc"
	"github.com/mpbench/mpbench/workloads"
)

// TestWorkerErrorCarriesStderr sends one worker a frame of an unknown kind:
// the worker fails, and Compute's error carries its exit status and the
// message it wrote to stderr.
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
			bad := proc.AppendControlFrame(nil, proc.FrameDone, 0, nil)
			bad[0] = 99
			var data *os.File
			switch s := sess.(type) {
			case *mapSession:
				data = s.g.Procs[0].Data
			case *asyncSession:
				data = s.g.Procs[0].Data
			}
			if _, err := data.Write(bad); err != nil {
				t.Fatal(err)
			}
			_, err = sess.Compute(context.Background())
			sess.Teardown()
			if err == nil {
				t.Fatal("Compute succeeded with a failed worker")
			}
			for _, want := range []string{m.Name(), fmt.Sprintf("pid %d", pids[0]), "exit status 1", "unknown kind 99"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
			modeltest.AssertReaped(t, pids)
		})
	}
}
