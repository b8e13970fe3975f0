package workerbuild

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git:", err)
	}
	if err := exec.Command("git", "rev-parse", "--show-toplevel").Run(); err != nil {
		t.Skip("not in a git repository (a source tarball?):", err)
	}
}

func TestBadRevisionsAreRevisionErrors(t *testing.T) {
	needGit(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, c := range []struct{ name, dir, rev string }{
		{"not a repository", t.TempDir(), "HEAD"},
		{"no such revision", "", "no-such-revision-of-mpbench"},
		{"an option", "", "--version"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := &Builds{Dir: c.dir}
			_, err := b.Revision(t.Context(), "old", c.rev)
			var rerr *RevisionError
			if !errors.As(err, &rerr) {
				t.Errorf("err %v, want a RevisionError", err)
			}
			if b.TempDir() != "" {
				t.Errorf("made a build folder for a revision that does not exist")
			}
			if err := b.Cleanup(); err != nil {
				t.Error(err)
			}
		})
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left %d entries in TMPDIR", len(left))
	}
}

// TestBuildsAreReproducible builds the working tree's worker twice: the
// gate calls two builds of the same bytes the null A/B, so the builds
// must be reproducible; Cleanup must leave nothing.
func TestBuildsAreReproducible(t *testing.T) {
	needGit(t)
	if testing.Short() {
		t.Skip("builds mpbench-worker")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	b := &Builds{}
	defer b.Cleanup()
	x, err := b.WorkingTree(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	y, err := b.WorkingTree(t.Context(), "b")
	if err != nil {
		t.Fatal(err)
	}
	if x.Executable == y.Executable || filepath.Base(x.Executable) != "mpbench-worker" || x.Commit != "" {
		t.Errorf("builds %+v, %+v", x, y)
	}
	if same, err := SameFile(x.Executable, y.Executable); err != nil || !same {
		t.Errorf("two builds of one tree differ (%v)", err)
	}
	if err := b.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left %d entries in TMPDIR", len(left))
	}
}
