// Package pyref carries the Python reference implementations of mpbench's
// workloads (pyref.py) inside the mpbench binary, so that the py-* models
// need nothing but a Python 3.8+ interpreter on the machine.
//
// pyref.py is standard library only and runs on its own as well; see its
// docstring. Note: multiprocessing's spawn and forkserver start methods
// re-import the main module from its file, so a model writes Script to a
// temporary file before it runs it, instead of feeding it through -c or
// stdin.
package pyref

import _ "embed"

// ScriptName is the file name Script is written under.
const ScriptName = "pyref.py"

// Script is the text of pyref.py.
//
//go:embed pyref.py
var Script []byte

// Patterns are the values pyref.py accepts for --pattern, in the order of
// the Go models they mirror.
var Patterns = []string{"sequential", "pool", "pool-async", "pipe", "queue", "shm-lock", "manager"}
