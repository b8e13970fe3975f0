package render

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	fixture := filepath.Join("testdata", "oversub.json")
	main := func(ctx context.Context, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(ctx, args, &out, &errb)
		return code, out.String(), errb.String()
	}

	out := filepath.Join(t.TempDir(), "report")
	code, stdout, stderr := main(context.Background(), "-o", out, "-label", "small", "--", fixture)
	if code != exitOK || stdout != filepath.Join(out, IndexHTML)+"\n" || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if md, err := os.ReadFile(filepath.Join(out, IndexMD)); err != nil || !bytes.Contains(md, []byte("pow")) {
		t.Errorf("index.md: %v", err)
	}

	bad := []struct {
		name string
		args []string
		want string
	}{
		{"no run", nil, "no run given"},
		{"unknown flag", []string{"-x", fixture}, "flag provided but not defined: -x"},
		{"several runs without -o", []string{fixture, fixture}, "give its folder with -o DIR"},
		{"labels do not match", []string{"-o", out, "-label", "a", fixture, fixture}, "1 -label for 2 runs"},
		{"not a run", []string{"-o", out, filepath.Join(t.TempDir(), "missing.json")}, "missing.json"},
	}
	for _, c := range bad {
		code, stdout, stderr := main(context.Background(), c.args...)
		if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, Command+": ") ||
			!strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q: want 2 and one line with %q", c.name, code, stdout, stderr, c.want)
		}
	}

	// Cancelled (SIGINT, SIGTERM) before drawing: exit 130 and nothing
	// written. (TestPlace covers a cancel between the temporary folder and
	// the renames; cmd/mpbench's TestDrawInterrupted one mid-drawing.)
	parent := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, stderr = main(ctx, "-o", filepath.Join(parent, "new"), fixture)
	if code != exitInterrupted || !strings.Contains(stderr, "interrupted") {
		t.Errorf("cancelled: exit %d, stderr %q", code, stderr)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("cancelled draw left %v", ents)
	}
}

// TestDrawerLinksNoModel guards that mpbench-draw takes what it knows of
// models (colours, markers) from the run file, not from the model table
// or the model packages.
func TestDrawerLinksNoModel(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../cmd/mpbench-draw").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const models = "github.com/mpbench/mpbench/models/"
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, models) {
			t.Errorf("mpbench-draw links %s: take model facts from the run file (runfile.Run.Models)", p)
		}
	}
}
