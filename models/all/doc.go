// Package all holds the one table that names every model mpbench runs:
// each line is a model with its Python twin, its colour and its marker, and
// its family comes from the model itself (models.FamilyOf). Everything else
// reads it: the registry of cmd/mpbench and its cell runner, `mpbench list`,
// and, through the run file (runfile.Run.Models, filled from Infos), the
// Go-vs-Python table of package reports and the charts of mpbench-draw,
// which link no model package.
//
// A new model is its package and one line in Table; a Python twin also
// needs its pattern in scripts/pyref (pyref.py and Patterns).
package all
