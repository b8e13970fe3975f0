// Package stats holds mpbench's descriptive statistics over plain samples
// and points, and the types the run file stores them in: it never sees a
// run or a cell.
//
//   - Summarize describes one sample (a cell's compute times, say): min,
//     max, mean, median, standard deviation, CV, p95, the distribution-free
//     confidence interval of the median, and the outliers by Tukey's
//     fences, counted and never dropped (dist.go).
//   - ScalingFit and its parts hold a fit of Amdahl's law and Gunther's
//     Universal Scalability Law to speedups over core counts; Amdahl, USL
//     and KarpFlatt evaluate the laws (fit.go). The fitting itself is in
//     stats/infer.
//
// Note: stats imports only the standard library and montanaflynn/stats,
// because every cell runner links it (through the run file's types and the
// --target-ci stopping rule) and cell runners and workers share one lean
// executable, mpbench-worker. What needs gonum or golang.org/x/perf lives
// in stats/infer, which only the parent process links.
//
// The types carry JSON tags because run files store them; stats itself
// reads and writes no files.
package stats
