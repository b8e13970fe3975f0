// Package reports turns runs into what people and tools read: the terminal
// table in several formats with the scaling fits after it (table.go,
// fits.go), the Go benchmark format that benchstat reads (benchfmt.go), the
// table of a comparison of two runs (compare.go), and a report folder of PNG
// charts with an index.md and index.html (Write).
//
// The pipeline of a report is three steps, each in its own file:
//
//   - series.go builds the numbers to draw from one or more runs: a series
//     per (run, model) over core counts (CoreSeries) and a bar per (run,
//     model) at the run's largest core count (LargestBars). They are the
//     figures of the run file, unchanged; tests hold them to it.
//   - charts.go and figure.go draw them with gonum.org/v1/plot: six charts
//     per workload, each 1800×1125 px, with the legend and a caption below
//     the plot so that neither covers data. style.go fixes the colour and
//     marker of every model, the same in every chart of every report.
//   - index.go and report.go write index.md and index.html (environment,
//     command line, summary tables, warnings, every chart with its caption)
//     and move the whole report into place through a temporary folder.
//
// It imports harness for the run types and never the other way round. It is
// code only: generated reports live in run folders, never here.
package reports
