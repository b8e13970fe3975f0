// Package reports turns runs into what people and tools read: the terminal
// table in several formats with the scaling fits after it (table.go,
// fits.go), the Go benchmark format that benchstat reads (benchfmt.go),
// the table of a comparison of two runs (compare.go) and, later, PNG
// charts and an index page.
//
// It imports harness for the run types and never the other way round. It is
// code only: generated reports live in run folders, never here.
package reports
