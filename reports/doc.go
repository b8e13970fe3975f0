// Package reports turns runs into what people read: the terminal table in
// several formats (table.go) and, later, PNG charts and an index page.
//
// It imports harness for the run types and never the other way round. It is
// code only: generated reports live in run folders, never here.
package reports
