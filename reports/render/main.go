package render

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mpbench/mpbench/reports"
	"github.com/mpbench/mpbench/runfile"
)

// Command is the name of the executable that draws reports: mpbench runs
// it for `mpbench report` and `mpbench run --report`, as its own child
// process (see the package doc for why it is not part of mpbench).
const Command = "mpbench-draw"

// Exit codes of Main, the same as mpbench's.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// labelList is the repeatable -label flag.
type labelList []string

func (l *labelList) String() string     { return strings.Join(*l, ",") }
func (l *labelList) Set(s string) error { *l = append(*l, s); return nil }

// Main is the drawing executable's command line:
//
//	mpbench-draw [-o DIR] [-label NAME]... RUN_DIR_OR_JSON...
//
// It draws the report of the runs into DIR (by default the folder of the
// one run; several runs need -o) and prints the path of its index.html on
// stdout. Errors are one line on stderr, and the exit status is mpbench's:
// 2 for bad input (a path that is not a run, nothing to draw, a file in
// the way of DIR), 1 when drawing or writing failed, 130 when ctx was
// cancelled (a signal) before the report began to move into place: nothing
// is written then, not even the temporary folder. Once the report is
// moving into place it is finished, and the exit status is 0.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "%s: %v\n", Command, err)
		return code
	}
	fs := flag.NewFlagSet(Command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "", "report folder (default: the folder of the one run)")
	var labels labelList
	fs.Var(&labels, "label", "name of each run on the charts, in order, repeatable (default: its host)")
	if err := fs.Parse(args); err != nil {
		return fail(exitUsage, fmt.Errorf("%v (usage: %s [-o DIR] [-label NAME]... RUN_DIR_OR_JSON...)", err, Command))
	}
	paths := fs.Args()
	switch {
	case len(paths) == 0:
		return fail(exitUsage, fmt.Errorf("no run given (usage: %s [-o DIR] [-label NAME]... RUN_DIR_OR_JSON...)", Command))
	case len(paths) > 1 && *out == "":
		return fail(exitUsage, errors.New("several runs are drawn into one new report: give its folder with -o DIR"))
	case len(labels) > 0 && len(labels) != len(paths):
		return fail(exitUsage, fmt.Errorf("%d -label for %d runs: give one per run, in order", len(labels), len(paths)))
	}
	runs := make([]*runfile.Run, len(paths))
	for i, p := range paths {
		if ctx.Err() != nil { // a signal while loading many runs: stop between them
			return fail(exitInterrupted, errors.New("interrupted; no report written"))
		}
		r, err := runfile.Load(p)
		if err != nil {
			return fail(exitUsage, err)
		}
		runs[i] = r
	}
	dir := *out
	if dir == "" {
		dir = paths[0]
		if st, err := os.Stat(dir); err == nil && !st.IsDir() {
			dir = filepath.Dir(dir)
		}
	}
	index, err := Write(ctx, dir, runs, labels)
	switch {
	case err == nil:
		fmt.Fprintln(stdout, index)
		return exitOK
	case ctx.Err() != nil:
		return fail(exitInterrupted, errors.New("interrupted; no report written"))
	case errors.Is(err, ErrOutput), errors.Is(err, reports.ErrNoData):
		return fail(exitUsage, err)
	}
	return fail(exitFailure, err)
}
