// Package figures holds no code, only a test: TestFigures runs the shm and
// manager models through the harness's real cell runner (confined to c
// CPUs, GOMAXPROCS = c, fresh process per cell, sequential baseline in the
// same run) and reports, and with MPBENCH_FIGURES=check asserts, the
// figures their issue asks for. It is opt-in (MPBENCH_FIGURES=1 or check)
// because it takes tens of seconds of both cores.
//
// It lives apart from models/shm and models/manager so that those packages
// import nothing above them, tests included.
package figures
