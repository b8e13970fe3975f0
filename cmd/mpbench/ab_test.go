package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/models/goroutines"
	"github.com/mpbench/mpbench/models/modeltest"
	"github.com/mpbench/mpbench/runfile"
)

// slowWorkerName is the name under which this test binary, started as
// the worker, serves a goroutines three times slower (modeltest.Slow) under
// goroutines's own name: the NEW side of an A/B run that regressed.
const slowWorkerName = "mpbench-worker-slow"

// slowGoroutines returns reg with goroutines made slower, under its name.
func slowGoroutines(reg models.Registry) models.Registry {
	out := make(models.Registry, len(reg))
	for i, m := range reg {
		if m.Name() == "goroutines" {
			m = renamed{modeltest.Slow(goroutines.New(), 3), "goroutines"}
		}
		out[i] = m
	}
	return out
}

type renamed struct {
	models.Model
	name string
}

func (m renamed) Name() string { return m.name }

func TestABResolvesExecutables(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	lonely := filepath.Join(dir, "lonely")
	for _, d := range []string{bin, lonely} {
		os.Mkdir(d, 0o755)
		os.Symlink(self(t), filepath.Join(d, "mpbench"))
	}
	os.Symlink(self(t), filepath.Join(bin, workerCommand))
	os.Symlink(self(t), filepath.Join(dir, "my-worker"))
	worker := filepath.Join(bin, workerCommand)
	for _, c := range []struct {
		name, arg, want, err string
	}{
		{"a worker", worker, worker, ""},
		{"a worker by another name", filepath.Join(dir, "my-worker"), filepath.Join(dir, "my-worker"), ""},
		{"mpbench with its worker", filepath.Join(bin, "mpbench"), worker, ""},
		{"a folder with a worker", bin, worker, ""},
		{"mpbench without a worker", filepath.Join(lonely, "mpbench"), "", "lonely/mpbench-worker: no such file"},
		{"a folder without a worker", lonely, "", "lonely/mpbench-worker: no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := &workerBuilds{}
			w, err := b.resolve(t.Context(), "new", c.arg)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || exitCode(err) != exitUsage {
					t.Errorf("got %q, %v; want a usage error containing %q", w.exe, err, c.err)
				}
				return
			}
			if err != nil || w.exe != c.want || w.commit != "" {
				t.Errorf("got %q (commit %q), %v; want %q", w.exe, w.commit, err, c.want)
			}
			if b.b.TempDir() != "" {
				t.Errorf("made a build folder %s for an executable", b.b.TempDir())
			}
		})
	}
}

// abPlan is a tiny A/B run: two cells, five trials each, over two rounds.
var abPlan = []string{"--models", "sequential,goroutines", "--workloads", "square", "--param", "square.tasks=1000",
	"--cores", "1", "--trials", "5", "--rounds", "2", "--warmup", "1", "-q"}

func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// abTemps points TMPDIR at a fresh folder and returns a check that ab
// left none of its build folders there.
func abTemps(t *testing.T) (check func()) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	return func() {
		t.Helper()
		if left, _ := filepath.Glob(filepath.Join(tmp, "mpbench-ab-*")); len(left) > 0 {
			t.Errorf("left build folders behind: %v", left)
		}
	}
}

func TestABSameWorkerNoRegression(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ab")
	code, stdout, stderr := runCLI(t, append([]string{"ab", self(t), filepath.Dir(self(t)), "--out", out}, abPlan...)...)
	// The folder holds no mpbench-worker: the second side is refused.
	if code != exitUsage || !strings.Contains(stderr, "NEW "+filepath.Dir(self(t))) {
		t.Errorf("a folder without mpbench-worker: exit %d, %q", code, stderr)
	}
	code, stdout, stderr = runCLI(t, append([]string{"ab", self(t), self(t), "--out", out}, abPlan...)...)
	if code != exitOK {
		t.Fatalf("exit %d, want 0:\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"square[tasks=1000]/sequential/1", "square[tasks=1000]/goroutines/1", "VERDICT"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("comparison lacks %q:\n%s", want, stdout)
		}
	}
	for _, side := range []string{"old", "new"} {
		run, err := runfile.Load(filepath.Join(out, side))
		if err != nil {
			t.Fatal(err)
		}
		if run.Env.Side != side || run.Env.WorkerSource != self(t) || run.Env.WorkerExecutable != self(t) || run.Status != "complete" {
			t.Errorf("%s: side %q, source %q, worker %q, status %q", side, run.Env.Side, run.Env.WorkerSource, run.Env.WorkerExecutable, run.Status)
		}
		if len(run.Cells) != 2 || len(run.Cells[1].Trials) != 5 {
			t.Errorf("%s: %d cells, want 2 of 5 trials", side, len(run.Cells))
		}
	}
}

func TestABCatchesSlowerWorker(t *testing.T) {
	slow := filepath.Join(t.TempDir(), slowWorkerName)
	if err := os.Symlink(self(t), slow); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ab")
	code, stdout, stderr := runCLI(t, append([]string{"ab", self(t), slow, "--out", out}, abPlan...)...)
	if code != exitFailure {
		t.Fatalf("exit %d, want 1:\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "significantly slower") || !strings.Contains(stderr, "square[tasks=1000]/goroutines/1/tasks=1000 (+") {
		t.Errorf("stderr %q: want goroutines named as slower", stderr)
	}
}

func TestABBadInputExits2AndLeavesNothing(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git:", err)
	}
	results := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no such revision", []string{"no-such-revision-of-mpbench", self(t)}, `OLD "no-such-revision-of-mpbench": neither a file nor a revision`},
		{"option as revision", []string{self(t), "--", "--version"}, `NEW "--version": neither a file nor a revision`},
		{"not executable", []string{self(t), "ab_test.go"}, "NEW ab_test.go: ab_test.go: not an executable file"},
		{"bad threshold", []string{self(t), self(t), "--threshold", "x"}, `--threshold "x"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			check := abTemps(t)
			code, stdout, stderr := runCLI(t, append([]string{"ab", "--results", results, "-q"}, c.args...)...)
			if code != exitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, stdout)
			}
			if !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("stderr %q: want one line containing %q", stderr, c.want)
			}
			check()
		})
	}
	if entries, _ := os.ReadDir(results); len(entries) != 0 {
		t.Errorf("left %d entries in the results folder", len(entries))
	}
}

// cloneRepo clones the repository this test runs in into a temporary
// folder, without a checkout (ab's worktrees check out what they build),
// and makes it the current folder: the builds add their worktrees to the
// clone, not to this repository. It skips without git or a repository.
func cloneRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git:", err)
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git repository (a source tarball?):", err)
	}
	clone := filepath.Join(t.TempDir(), "repo")
	if out, err := exec.Command("git", "clone", "-q", "--no-checkout", strings.TrimSpace(string(top)), clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v: %s", err, out)
	}
	t.Chdir(clone)
	return clone
}

// trimPaths adds -trimpath to GOFLAGS for the builds ab starts. Each
// builds in a new worktree, and without it the folder's path is in every
// compiled package of the module, so none is found in the build cache
// (about 4 s a build here, under 1 s with it). What the tests check, the
// build, its record and the clean-up, is the same either way.
func trimPaths(t *testing.T) {
	t.Helper()
	flags, err := exec.Command("go", "env", "GOFLAGS").Output()
	if err != nil {
		t.Fatalf("go env GOFLAGS: %v", err)
	}
	t.Setenv("GOFLAGS", strings.TrimSpace(strings.TrimSpace(string(flags))+" -trimpath"))
}

func worktrees(t *testing.T, repo string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", repo, "worktree", "list", "--porcelain").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func gitRev(t *testing.T, repo, rev string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", repo, "rev-parse", rev).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func TestABBuildsRevisionsAndCleansUp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mpbench-worker")
	}
	repo := cloneRepo(t)
	before := worktrees(t, repo)
	check := abTemps(t)
	results := t.TempDir()
	trimPaths(t)

	// The first commit has no cmd/mpbench-worker: its build fails.
	root := gitRev(t, repo, "HEAD~0")
	if out, err := exec.Command("git", "-C", repo, "rev-list", "--max-parents=0", "HEAD").Output(); err == nil {
		root = strings.Fields(string(out))[0]
	}
	code, stdout, stderr := runCLI(t, append([]string{"ab", root, "HEAD", "--results", results}, abPlan...)...)
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "OLD "+root+": build failed") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("a build that fails: exit %d, stdout %q, stderr %q; want 2 and one line", code, stdout, stderr)
	}
	if got := worktrees(t, repo); got != before {
		t.Errorf("worktrees left behind:\n%s", got)
	}
	check()
	if entries, _ := os.ReadDir(results); len(entries) != 0 {
		t.Errorf("left %d entries in the results folder", len(entries))
	}

	out := filepath.Join(t.TempDir(), "ab")
	// Both sides built from HEAD: this test binary may carry the race
	// detector, which would make it the slower side. What it checks is the
	// build, the record and the clean-up, so a verdict either way (exit 0,
	// or 1 should the noise of 5 trials of microsecond cells say so) is a
	// run that went through; only a failure to build or run is not.
	code, stdout, stderr = runCLI(t, append([]string{"ab", "HEAD", "HEAD", "--out", out}, abPlan...)...)
	if code != exitOK && code != exitFailure {
		t.Fatalf("ab HEAD HEAD: exit %d:\n%s\n%s", code, stdout, stderr)
	}
	old, err := runfile.Load(filepath.Join(out, "old"))
	if err != nil {
		t.Fatal(err)
	}
	head := gitRev(t, repo, "HEAD")
	if old.Env.WorkerRevision != head || old.Env.WorkerSource != "HEAD" || len(old.Cells) != 2 {
		t.Errorf("old side: revision %q (want %s), source %q, %d cells", old.Env.WorkerRevision, head, old.Env.WorkerSource, len(old.Cells))
	}
	if nw, err := runfile.Load(filepath.Join(out, "new")); err != nil || nw.Env.WorkerRevision != head || len(nw.Cells) != 2 {
		t.Errorf("new side: %v", err)
	}
	if got := worktrees(t, repo); got != before {
		t.Errorf("worktrees left behind:\n%s", got)
	}
	check()
}

// TestABInterruptedCleansUp interrupts mpbench ab (this test binary as
// mpbench) while it builds or runs: it must exit 130 and leave neither a
// worktree nor a build folder.
func TestABInterruptedCleansUp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mpbench-worker")
	}
	repo := cloneRepo(t)
	before := worktrees(t, repo)
	tmp := t.TempDir()
	cmd := exec.Command(self(t), "ab", "HEAD", self(t), "--models", "sequential", "--workloads", "cpu", "--cores", "1",
		"--param", "cpu.tasks=4", "--param", "cpu.n=20000000", "--trials", "50", "--out", filepath.Join(t.TempDir(), "ab"))
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), envMain+"=1", "TMPDIR="+tmp)
	// The child writes stderr while this goroutine reads it.
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(stderr.String(), "building") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // inside the worktree's add or the build
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
		t.Errorf("exit %v, want 130; stderr:\n%s", err, stderr.String())
	}
	t.Logf("stderr:\n%s", stderr.String())
	if got := worktrees(t, repo); got != before {
		t.Errorf("worktrees left behind:\n%s", got)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "mpbench-ab-*")); len(left) > 0 {
		t.Errorf("left build folders behind: %v", left)
	}
}

// lockedBuffer is a bytes.Buffer that one goroutine may write while
// another reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
