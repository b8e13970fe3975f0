// Package render draws a report folder: PNG charts of one or more runs
// with an index.md and index.html. It is the mpbench-draw executable
// (Main, cmd/mpbench-draw), which mpbench runs for `mpbench report` and
// `mpbench run --report`.
//
// It is apart from mpbench because gonum.org/v1/plot, its fonts and the
// PDF and LaTeX back ends it pulls in made the mpbench executable 23 MB
// instead of 9, and every process of a process model is a fresh exec of
// mpbench: each worker took 0.7–1.0 ms longer to start, in exec and package
// initialisation (interleaved runs, c = 1: 2.35–2.75 ms against 1.63–1.74
// ms per worker started).
//
// The pipeline of a report is three steps, each in its own file:
//
//   - series.go builds the numbers to draw from one or more runs: a series
//     per (run, model) over core counts (CoreSeries) and a bar per (run,
//     model) at the run's largest core count (LargestBars). They are the
//     figures of the run file, unchanged; tests hold them to it.
//   - charts.go and figure.go draw them with gonum.org/v1/plot: seven charts
//     per workload, each 1800×1125 px, with the legend and a caption below
//     the plot so that neither covers data. Each model has the colour and
//     marker its run file records from the model table (models/all), the
//     same in every chart; style.go draws them, and picks a stable fallback
//     for run files that record no models.
//   - index.go and report.go write index.md and index.html (environment,
//     command line, summary tables, warnings, every chart with its caption)
//     and move the whole report into place through a temporary folder.
//
// It imports reports (cell rows, number formats, Check), runfile and stats,
// and nothing imports it but cmd/mpbench-draw and tests. It is code only:
// generated reports live in run folders, never here.
package render
