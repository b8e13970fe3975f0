// Command mpbench-draw draws the PNG charts and index pages of mpbench
// runs. mpbench runs it for `mpbench report` and `mpbench run --report`;
// it is a program of its own so that mpbench, which every worker process
// re-executes, does not carry the plotting library, its fonts and their
// start-up cost (see reports/render). It reads runs through package
// runfile and links no process code: not harness, not the worker platform,
// not golang.org/x/sys/unix (TestDrawLinksNoProcessCode).
//
//	mpbench-draw [-o DIR] [-label NAME]... RUN_DIR_OR_JSON...
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mpbench/mpbench/reports/render"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := render.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
