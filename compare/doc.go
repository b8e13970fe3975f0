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
// listed, not tested; a cell the old run passed that is missing or failed
// in the new one is a regression.
//
// Each tested cell also says what it could have found: the smallest
// p-value its sample sizes allow (2 / C(m+n, m)) and the smallest change
// its samples' spread lets the test detect at alpha / (cells tested), the
// bar Holm–Bonferroni sets for a change seen alone (stats/infer:
// MinDetectable inverts the Hodges–Lehmann interval). A cell that is not
// significant and could not have detected the threshold is inconclusive,
// not "no significant change".
//
// It works on saved runs only (package runfile) with the statistics of
// package stats, and links no process code, so reports can format a
// Comparison without linking the cell runner.
package compare
