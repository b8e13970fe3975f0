// Package infer holds mpbench's inferential statistics: comparing two
// samples and fitting scaling laws.
//
//   - UTest, Holm and RatioCI compare two samples: benchstat's Mann–Whitney
//     U test (golang.org/x/perf/benchmath), the Holm–Bonferroni adjustment
//     of a family of p-values, and the Hodges–Lehmann interval of the ratio
//     of two samples that belongs to the U test (utest.go).
//   - FitScaling fits Amdahl's law and Gunther's Universal Scalability Law
//     to speedups measured at several core counts (least squares, gonum's
//     Nelder–Mead) and gives the Karp–Flatt serial fraction of each point
//     (fit.go). Its result is a stats.ScalingFit.
//
// It is apart from package stats so that the worker executable, which
// links stats, links neither gonum nor x/perf.
package infer
