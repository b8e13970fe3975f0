package models_test

import (
	"errors"
	"testing"

	"github.com/mpbench/mpbench/models"
	"github.com/mpbench/mpbench/workloads"
)

// TestValidateCatchesMisplacedResults plays a model that gets every result
// right but hands them back wrongly: two swapped, one dropped, one repeated
// in another's place, the last one lost and the first repeated at the end.
// Each must fail validation; the correct results must pass.
func TestValidateCatchesMisplacedResults(t *testing.T) {
	for _, w := range workloads.All() {
		in, err := w.New(map[string]int64{"tasks": 50}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := models.Validate(models.Output{Results: in.Run()}, in, "honest"); err != nil {
			t.Fatalf("%s: correct results fail: %v", w.Name, err)
		}
		cases := []struct {
			name string
			mess func(r []uint64) []uint64
		}{
			{"swap", func(r []uint64) []uint64 { r[10], r[11] = r[11], r[10]; return r }},
			{"drop", func(r []uint64) []uint64 { return append(r[:20:20], r[21:]...) }},
			{"duplicate", func(r []uint64) []uint64 { r[30] = r[31]; return r }},
			{"drop last, repeat first", func(r []uint64) []uint64 { return append(r[:len(r)-1:len(r)-1], r[0]) }},
		}
		for _, c := range cases {
			t.Run(w.Name+"/"+c.name, func(t *testing.T) {
				err := models.Validate(models.Output{Results: c.mess(in.Run())}, in, "sloppy")
				if !errors.Is(err, models.ErrChecksum) {
					t.Fatalf("error %v, want ErrChecksum", err)
				}
			})
		}
	}
}

// TestValidateReportedChecksum checks the path of the Python models: a
// reported checksum is compared with the Go reference, so the plain sum of
// the right results, or their weighted sum in the wrong order, fails.
func TestValidateReportedChecksum(t *testing.T) {
	in, err := workloads.Square.New(map[string]int64{"tasks": 10}, 1)
	if err != nil {
		t.Fatal(err)
	}
	res := in.Run()
	var plain uint64
	for _, r := range res {
		plain += r
	}
	res[1], res[2] = res[2], res[1]
	for name, sum := range map[string]uint64{"plain sum": plain, "wrong order": workloads.Checksum(res)} {
		sum := sum
		if err := models.Validate(models.Output{Checksum: &sum}, in, "py-pool"); !errors.Is(err, models.ErrChecksum) {
			t.Errorf("%s: error %v, want ErrChecksum", name, err)
		}
	}
	ref := in.Reference
	if err := models.Validate(models.Output{Checksum: &ref}, in, "py-pool"); err != nil {
		t.Errorf("the reference itself: %v", err)
	}
}

// TestValidateChecksAccounts wants accounts that lose or invent a task to
// fail a trial whose results are right, and no accounts to pass.
func TestValidateChecksAccounts(t *testing.T) {
	in, err := workloads.Square.New(map[string]int64{"tasks": 50}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		accts  []models.Account
		wantOK bool
	}{
		{"none", nil, true},
		{"every task", []models.Account{{Busy: 1, Tasks: 20, CPU: 0}, {Busy: 1, Tasks: 30, CPU: 1}}, true},
		{"one lost", []models.Account{{Busy: 1, Tasks: 20, CPU: 0}, {Busy: 1, Tasks: 29, CPU: 1}}, false},
		{"one invented", []models.Account{{Busy: 1, Tasks: 21, CPU: 0}, {Busy: 1, Tasks: 30, CPU: 1}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := models.Validate(models.Output{Results: in.Run(), Accounts: c.accts}, in, "m")
			if c.wantOK != (err == nil) || (err != nil && !errors.Is(err, models.ErrAccounts)) {
				t.Fatalf("error %v, want ok %v (else ErrAccounts)", err, c.wantOK)
			}
		})
	}
}
