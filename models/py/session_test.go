package py

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/workloads"
)

// fakeHead starts every misbehaving script: out is the data channel, and
// the PID file (if the test asked for one) gets the script's PID.
const fakeHead = `import os, sys, time, subprocess
out = os.fdopen(3, "w")
def say(s):
    out.write(s + "\n"); out.flush()
READY = '{"ready": true, "python": "3.99.0", "start_method": "fork"}'
`

// scripted is a Python model that runs its own script in place of
// pyref.py.
type scripted struct {
	Model
	name   string
	script []byte
}

func (m scripted) Setup(ctx context.Context, cfg models.Config) (models.Session, error) {
	return m.setup(ctx, cfg, m.name, m.script)
}

// fake is py-pool running garbage.py: fakeHead and body.
func fake(body string) scripted {
	return scripted{Pool(), "garbage.py", []byte(fakeHead + body)}
}

// TestMisbehavingScripts checks that a script that prints garbage, dies or
// hangs gives an error naming the script, the pattern, the cell and the last
// lines of its stderr, and leaves no process behind.
func TestMisbehavingScripts(t *testing.T) {
	requirePython(t)
	defer func(e, l time.Duration) { exitGrace, lineGrace = e, l }(exitGrace, lineGrace)
	exitGrace, lineGrace = 300*time.Millisecond, 200*time.Millisecond

	const where = "garbage.py --pattern pool, cell square[tasks=10] c=1"
	cases := []struct {
		name   string
		script string
		phase  string // where it fails: setup, compute or teardown
		want   []string
	}{
		{"garbage for ready", `print("starting up", file=sys.stderr)
say("hello world")
time.sleep(60)`, "setup", []string{`sent "hello world" where its ready line was due`, "stderr: starting up"}},
		{"dies before ready", `1/0`, "setup",
			[]string{"exited before sending its ready line", "exit status 1", "ZeroDivisionError"}},
		{"leaves a child", `p = subprocess.Popen(["sleep", "60"])
open(os.environ["PYREF_TEST_PIDS"], "w").write(str(p.pid))
print("child started", file=sys.stderr)
say("{not json")
time.sleep(60)`, "setup", []string{`sent "{not json" where its ready line was due`, "child started"}},
		{"dies on go", `say(READY)
sys.stdin.readline()
print("Traceback: boom", file=sys.stderr)
sys.exit(3)`, "compute", []string{"exited before sending its trial's result", "exit status 3", "Traceback: boom"}},
		{"garbage result", `say(READY)
sys.stdin.readline()
print("about to misbehave", file=sys.stderr)
say("RESULT 42")
time.sleep(60)`, "compute", []string{`sent a line that is not JSON: "RESULT 42"`, "about to misbehave"}},
		{"result lacks fields", `say(READY)
sys.stdin.readline()
say('{"compute_ns": 5, "pattern": "pool", "tasks": 10}')`, "compute",
			[]string{"sent a result without setup_ns, checksum", "stderr: (empty)"}},
		{"wrong pattern", `say(READY)
sys.stdin.readline()
say('{"setup_ns": 1, "compute_ns": 5, "teardown_ns": 1, "checksum": 285, "pattern": "queue", "tasks": 10}')`, "compute",
			[]string{`ran pattern "queue" on 10 tasks, want "pool" on 10`}},
		{"closes its output", `say(READY)
sys.stdin.readline()
out.close()
time.sleep(60)`, "compute", []string{"closed its output before sending its trial's result"}},
		{"fails after its trial", `say(READY)
sys.stdin.readline()
say('{"setup_ns": 1, "compute_ns": 5, "teardown_ns": 1, "checksum": 2310, "pattern": "pool", "tasks": 10}')
print("late failure", file=sys.stderr)
sys.exit(4)`, "teardown", []string{"exited before sending its teardown time", "exit status 4", "late failure"}},
		{"wrong teardown line", `say(READY)
sys.stdin.readline()
say('{"setup_ns": 1, "compute_ns": 5, "checksum": 2310, "pattern": "pool", "tasks": 10}')
sys.stdin.readline()
say('{"teardown_ns": 3, "passes": 2}')`, "teardown", []string{"tore down after 2 passes, mpbench asked for 1"}},
		{"fails after its teardown line", `say(READY)
sys.stdin.readline()
say('{"setup_ns": 1, "compute_ns": 5, "checksum": 2310, "pattern": "pool", "tasks": 10}')
sys.stdin.readline()
say('{"teardown_ns": 3, "passes": 1}')
sys.exit(5)`, "teardown", []string{"failed after its trial", "exit status 5"}},
		// Square's 10 results: their plain sum is 285, their weighted sum
		// 2310, and 2307 with results 1 and 2 swapped.
		{"plain sum for checksum", `say(READY)
sys.stdin.readline()
say('{"setup_ns": 1, "compute_ns": 5, "teardown_ns": 1, "checksum": 285, "pattern": "pool", "tasks": 10}')`, "validate",
			[]string{"results do not match the workload's reference: checksum expected 2310, got 285"}},
		{"checksum of the wrong order", `say(READY)
sys.stdin.readline()
r = [x * x for x in range(10)]
r[1], r[2] = r[2], r[1]
say('{"setup_ns": 1, "compute_ns": 5, "teardown_ns": 1, "checksum": %d, "pattern": "pool", "tasks": 10}' % sum(i * x for i, x in enumerate(r, 1)))`, "validate",
			[]string{"checksum expected 2310, got 2307"}},
		{"does not exit", `say(READY)
sys.stdin.readline()
say('{"setup_ns": 1, "compute_ns": 5, "teardown_ns": 1, "checksum": 2310, "pattern": "pool", "tasks": 10}')
time.sleep(60)`, "teardown", []string{"did not exit within 300ms of its trial"}},
	}
	inst, err := workloads.Square.New(map[string]int64{"tasks": 10}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pids := filepath.Join(t.TempDir(), "pids")
			t.Setenv("PYREF_TEST_PIDS", pids)
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp) // where the session makes its folder
			err := runTrial(fake(c.script), models.Config{Workload: inst, Cores: 1})
			if err == nil {
				t.Fatal("no error")
			}
			want := c.phase + ": " + where + ": "
			if c.phase == "validate" { // the harness's check names the model
				want = "validate: py-pool: "
			}
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q: want it to start with %q", err, want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if b, err := os.ReadFile(pids); err == nil {
				pid, _ := strconv.Atoi(string(b))
				if pid > 0 && alive(pid) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Errorf("the script's child %d outlived it", pid)
				}
			} else if strings.Contains(c.script, "PYREF_TEST_PIDS") {
				t.Errorf("the script wrote no PID file: %v", err)
			}
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("%d entries left in the temporary folder, e.g. %s", len(left), left[0].Name())
			}
		})
	}
}

// TestCancelDuringSetup checks that a cancelled context ends a script that
// never gets ready, promptly.
func TestCancelDuringSetup(t *testing.T) {
	requirePython(t)
	inst, _ := workloads.Square.New(map[string]int64{"tasks": 10}, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := fake(`time.sleep(60)`).Setup(ctx, models.Config{Workload: inst, Cores: 1})
	if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
		t.Fatalf("error %v, want the context's", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

// requirePython returns the interpreter the py-* models would run. It
// skips the test, saying why, only when there is no python3 to find (none
// in PATH, no $MPBENCH_PYTHON) and MPBENCH_REQUIRE_PYTHON is not set; a
// Python that is there but cannot run the models fails the test.
func requirePython(t *testing.T) *Interpreter {
	t.Helper()
	in, err := Find()
	if err == nil {
		return in
	}
	msg := "the py-* models cannot run here: " + err.Error()
	_, lookErr := exec.LookPath("python3")
	if lookErr != nil && os.Getenv(EnvPython) == "" && os.Getenv("MPBENCH_REQUIRE_PYTHON") == "" {
		t.Skip(msg + " (no python3 in PATH, so this test is skipped)")
	}
	t.Fatal(msg)
	return nil
}

// runTrial does what the harness's trial does, prefixing the phase:
// setup, compute, validation against the workload's reference, teardown.
func runTrial(m models.Model, cfg models.Config) error {
	sess, err := m.Setup(context.Background(), cfg)
	if err != nil {
		return prefix("setup", err)
	}
	out, err := sess.Compute(context.Background())
	if err != nil {
		sess.Teardown()
		return prefix("compute", err)
	}
	verr := models.Validate(out, cfg.Workload, m.Name())
	terr := sess.Teardown()
	if verr != nil {
		return prefix("validate", verr)
	}
	return prefix("teardown", terr)
}

func prefix(phase string, err error) error {
	if err == nil {
		return nil
	}
	return &phaseError{phase + ": " + err.Error()}
}

type phaseError struct{ s string }

func (e *phaseError) Error() string { return e.s }

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	return len(f) > 0 && f[0] != "Z"
}
