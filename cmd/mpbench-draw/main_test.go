package main

import (
	"os/exec"
	"strings"
	"testing"
)

// processCode is what a reader of run files must not link: the cell
// runner (harness and below it), the worker platform (worker), and the
// system calls they make.
var processCode = []string{
	"github.com/mpbench/mpbench/harness",
	"github.com/mpbench/mpbench/worker",
	"golang.org/x/sys/unix",
}

// TestDrawLinksNoProcessCode checks that mpbench-draw, and every package it
// reads runs through, links no process code: drawing a report needs the
// run file, statistics and the plotter, never the machinery that made the
// run.
func TestDrawLinksNoProcessCode(t *testing.T) {
	const mod = "github.com/mpbench/mpbench/"
	readers := []string{mod + "cmd/mpbench-draw", mod + "reports/render", mod + "reports", mod + "compare", mod + "runfile", mod + "stats"}
	args := append([]string{"list", "-f", `{{.ImportPath}} {{join .Deps " "}}`}, readers...)
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	listed := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, " ")
		listed++
		for _, d := range strings.Fields(deps) {
			for _, bad := range processCode {
				if d == bad || strings.HasPrefix(d, bad+"/") {
					t.Errorf("%s links %s: a reader of run files must not link process code", pkg, d)
				}
			}
		}
	}
	if listed != len(readers) {
		t.Fatalf("go list gave %d packages, want %d:\n%s", listed, len(readers), out)
	}
}
