// Package compare compares two runs cell by cell, as mpbench compare does.
//
// Runs matches the cells of an old and a new run on workload, model,
// cores, resolved parameters and task count, and tests each shared cell's
// compute times with the Mann–Whitney U test (benchstat's). The p-values
// are adjusted by Holm–Bonferroni over every cell tested, so the chance of
// any false verdict in the table stays within alpha; each change gets the
// Hodges–Lehmann confidence interval that belongs to the U test, and a
// cell is a regression only when it is significantly slower and that whole
// interval lies above the noise threshold. Cells only one run has are
// listed, not tested.
//
// It works on saved runs only (package runfile) with the statistics of
// package stats, and links no process code, so reports can format a
// Comparison without linking the cell runner.
package compare
