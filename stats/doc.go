// Package stats holds the statistics of mpbench over plain samples and
// points: it never sees a run or a cell.
//
//   - Summarize describes one sample (a cell's compute times, say): min,
//     max, mean, median, standard deviation, CV, p95, the distribution-free
//     confidence interval of the median, and the outliers by Tukey's
//     fences, counted and never dropped (dist.go).
//   - UTest, Holm and RatioCI compare two samples: benchstat's Mann–Whitney
//     U test, the Holm–Bonferroni adjustment of a family of p-values, and
//     the Hodges–Lehmann interval of the ratio of two samples that belongs
//     to the U test (utest.go).
//   - FitScaling fits Amdahl's law and Gunther's Universal Scalability Law
//     to speedups measured at several core counts and gives the Karp–Flatt
//     serial fraction of each point (fit.go).
//
// The types carry JSON tags because run files store them; stats itself
// reads and writes no files.
package stats
