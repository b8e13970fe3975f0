package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestInstall does what the README tells a user to do,
// CGO_ENABLED=0 go install github.com/mpbench/mpbench/cmd/..., from this
// checkout into an empty GOBIN, and checks that it gives the three
// executables, static, and that the installed mpbench runs.
//
// Note: it is a go test, not a CI step, so that make test and every
// checkout run it alike. It reuses this machine's module and build caches
// with GOPROXY=off: it proves the install builds from what go.sum names,
// and fails instead of reaching the network.
func TestInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the three executables: skipped with -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH")
	}
	modcache, err := exec.Command(gobin, "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	bin := t.TempDir()
	install := exec.Command(gobin, "install", "github.com/mpbench/mpbench/cmd/...")
	install.Dir = filepath.Join("..", "..") // the module root
	install.Env = append(os.Environ(), "CGO_ENABLED=0", "GOBIN="+bin, "GOPROXY=off", "GOFLAGS=-mod=readonly", "GOWORK=off",
		"GOMODCACHE="+strings.TrimSpace(string(modcache)))
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}
	entries, err := os.ReadDir(bin)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if want := []string{"mpbench", "mpbench-draw", "mpbench-worker"}; !slices.Equal(got, want) {
		t.Fatalf("GOBIN holds %q, want %q", got, want)
	}
	for _, name := range got {
		t.Run(name+" is static", func(t *testing.T) {
			f, err := elf.Open(filepath.Join(bin, name))
			if err != nil {
				t.Skipf("not an ELF executable: %v", err)
			}
			defer f.Close()
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("got a dynamic loader (PT_INTERP), want a static executable")
				}
			}
		})
	}
	out, err := exec.Command(filepath.Join(bin, "mpbench"), "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "mpbench ") || !strings.Contains(string(out), "go1.") {
		t.Errorf("installed mpbench version: %v, got %q, want \"mpbench …\" and the Go version", err, out)
	}
}
