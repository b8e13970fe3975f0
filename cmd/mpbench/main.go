// Command mpbench measures what each concurrency model costs as cores grow.
//
// It runs every cell in a process of its companion executable
// mpbench-worker, and draws reports with mpbench-draw (see companion.go).
// See README.md for the commands; `mpbench --help` lists them.
package main

import "os"

func main() {
	os.Exit(mpbench(os.Args[1:], os.Stdout, os.Stderr))
}
