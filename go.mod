module github.com/mpbench/mpbench

go 1.26.0

require (
	github.com/montanaflynn/stats v0.14.0
	golang.org/x/sys v0.50.0
)

require go.uber.org/goleak v1.3.0
