package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// heavy is what a worker's start must not pay for: packages whose
// initialisation every worker process would run before its first line of
// model code.
var heavy = []string{
	"github.com/spf13/cobra",
	"github.com/spf13/pflag",
	"github.com/schollz/progressbar",
	"net/http",
	"gonum.org/v1/gonum",
	"gonum.org/v1/plot",
	"golang.org/x/perf",
	"github.com/aclements/go-moremath",
	// mpbench's own parent-side packages: plans, comparison, reports.
	"github.com/mpbench/mpbench/harness/gate",
	"github.com/mpbench/mpbench/compare",
	"github.com/mpbench/mpbench/reports",
	"github.com/mpbench/mpbench/stats/infer",
}

// TestWorkerIsLean checks that mpbench-worker links none of heavy, and
// that it does link what its roles need.
func TestWorkerIsLean(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	for _, d := range deps {
		for _, bad := range heavy {
			if d == bad || strings.HasPrefix(d, bad+"/") {
				t.Errorf("mpbench-worker links %s: every worker process would initialise it", d)
			}
		}
		if d == "github.com/mpbench/mpbench/harness" {
			t.Errorf("mpbench-worker links harness (plans, fits): only harness/cellrun belongs in a worker")
		}
	}
	for _, want := range []string{"github.com/mpbench/mpbench/harness/cellrun", "github.com/mpbench/mpbench/models/all", "github.com/mpbench/mpbench/worker"} {
		found := false
		for _, d := range deps {
			found = found || d == want
		}
		if !found {
			t.Errorf("mpbench-worker does not link %s", want)
		}
	}
}

// TestRunByHand checks that mpbench-worker started without a role says
// what it is for in one line and exits 2.
func TestRunByHand(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "mpbench-worker")
	if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(exe)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit %v, want status 2", err)
	}
	if s := string(out); strings.Count(s, "\n") != 1 || !strings.Contains(s, "run mpbench") {
		t.Errorf("output %q: want one line that points at mpbench", s)
	}
}
