package stats

import (
	"math"
	"testing"
)

func TestSummarize(t *testing.T) {
	xs := []float64{10, 12, 11, 13, 9, 10, 11, 12, 10, 100}
	d := Summarize(xs)
	if d.N != 10 || d.Min != 9 || d.Max != 100 || d.Median != 11 {
		t.Fatalf("min/max/median = %v/%v/%v", d.Min, d.Max, d.Median)
	}
	if math.Abs(d.Mean-19.8) > 1e-9 {
		t.Errorf("mean = %v, want 19.8", d.Mean)
	}
	// n = 10: the 95 % CI of the median is [x(2), x(9)] with coverage
	// 1 − 2·11/1024.
	if d.CILow != 10 || d.CIHigh != 13 || math.Abs(d.CILevel-(1-22.0/1024)) > 1e-12 {
		t.Errorf("CI = [%v, %v] level %v", d.CILow, d.CIHigh, d.CILevel)
	}
	if d.Outliers != 1 {
		t.Errorf("outliers = %d, want 1 (the 100)", d.Outliers)
	}
	if d.CV < 1 {
		t.Errorf("CV = %v, want > 1 with the outlier", d.CV)
	}
	small := Summarize([]float64{3, 1, 2})
	if small.CILow != 1 || small.CIHigh != 3 || small.CILevel >= 0.95 {
		t.Errorf("3 samples: CI [%v, %v] level %v, want min..max below 95%%", small.CILow, small.CIHigh, small.CILevel)
	}
}

func TestMedianCICoverage(t *testing.T) {
	for n := 6; n <= 60; n++ {
		lo, hi, level := medianCI(n, 0.95)
		if level < 0.95 || lo < 0 || hi >= n || lo > hi || lo+hi != n-1 {
			t.Fatalf("n=%d: [%d, %d] level %v", n, lo, hi, level)
		}
		// The next narrower interval must fall below 95 %.
		if lo+1 <= hi-1 {
			var cdf float64
			for k := 0; k <= lo+1; k++ {
				cdf += binomPMF(n, k)
			}
			if 1-2*cdf >= 0.95 {
				t.Fatalf("n=%d: interval not the narrowest", n)
			}
		}
	}
}
