// Command mpbench measures what each concurrency model costs as cores grow.
//
// See README.md for the commands; `mpbench --help` lists them.
package main

import (
	"os"

	"github.com/mpbench/mpbench/worker"
)

func main() {
	registerRoles(registry)
	if worker.IsChild() {
		os.Exit(worker.RunChild())
	}
	os.Exit(mpbench(os.Args[1:], os.Stdout, os.Stderr))
}
