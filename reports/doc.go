// Package reports turns runs into text that people and tools read: the
// terminal table in several formats with the scaling fits after it
// (table.go, fits.go), the Go benchmark format that benchstat reads
// (benchfmt.go), the table of a comparison of two runs (compare.go), the
// Go-beside-Python table (pyratio.go), and what decides whether a run has
// anything to draw (check.go).
//
// The PNG charts and index pages are drawn by reports/render, which only
// the mpbench-draw executable links: reports must not import it, nor
// gonum.org/v1/plot, because cmd/mpbench imports reports and every worker
// process is a fresh exec of mpbench (cmd/mpbench's
// TestMpbenchLinksNoPlotter holds this).
//
// It reads runs through package runfile and comparisons through package
// compare, and imports neither harness nor any process code: reports/render
// imports it, and the mpbench-draw executable must not link the cell
// runner (cmd/mpbench-draw's TestDrawLinksNoProcessCode holds this).
package reports
