package infer

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestHolm(t *testing.T) {
	got := Holm([]float64{0.01, 0.04, 0.03, 0.005})
	// Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 → 0.06.
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("Holm = %v, want %v", got, want)
		}
	}
	if got := Holm([]float64{0.6, 0.9}); got[0] != 1 || got[1] != 1 {
		t.Errorf("Holm caps at 1: %v", got)
	}
	if got := Holm([]float64{0.02}); got[0] != 0.02 {
		t.Errorf("one test is not adjusted: %v", got)
	}
}

func TestULowerCount(t *testing.T) {
	// Critical values of the two-sided Mann–Whitney test at α = 0.05
	// (reject when U ≤ crit); k = crit + 1.
	for _, c := range []struct{ m, n, crit int }{{5, 5, 2}, {10, 10, 23}, {8, 12, 22}, {20, 20, 127}, {3, 3, -1}} {
		if got := uLowerCount(c.m, c.n, 0.025); got != c.crit+1 {
			t.Errorf("uLowerCount(%d, %d) = %d, want %d", c.m, c.n, got, c.crit+1)
		}
	}
	// The normal approximation, used above 2500 pairs, is within one of
	// the exact count where both apply.
	exact := uLowerCount(50, 50, 0.025)
	sd := math.Sqrt(50 * 50 * 101 / 12.0)
	approx := int(math.Floor(1250 + 0.5 - 1.959963984540054*sd))
	if d := exact - approx; d < -1 || d > 1 {
		t.Errorf("50×50: exact %d, normal %d", exact, approx)
	}
	if got := uLowerCount(60, 60, 0.025); got < 1300 || got > 1500 {
		t.Errorf("60×60 (normal approximation) = %d", got)
	}
}

func TestRatioCI(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	old := make([]float64, 10)
	for i := range old {
		old[i] = 1e6 * (1 + 0.05*rng.Float64())
	}
	new := make([]float64, len(old))
	for i, x := range old {
		new[i] = 1.2 * x
	}
	lo, hi, ok := RatioCI(old, new, 0.95)
	if !ok || lo > 1.2 || hi < 1.2 || lo < 1.1 || hi > 1.3 {
		t.Fatalf("CI of a 1.2 ratio = [%v, %v] %v", lo, hi, ok)
	}
	// Coverage: with a true ratio of 1.1 and noise, the 95 % interval
	// holds it in about 95 % of samples.
	hits, runs := 0, 400
	for range runs {
		a, b := make([]float64, 8), make([]float64, 9)
		for i := range a {
			a[i] = 100 * math.Exp(0.05*rng.NormFloat64())
		}
		for i := range b {
			b[i] = 110 * math.Exp(0.05*rng.NormFloat64())
		}
		if lo, hi, ok := RatioCI(a, b, 0.95); ok && lo <= 1.1 && hi >= 1.1 {
			hits++
		}
	}
	if cov := float64(hits) / float64(runs); cov < 0.92 || cov > 0.99 {
		t.Errorf("coverage %.3f, want about 0.95", cov)
	}
	if _, _, ok := RatioCI([]float64{1, 2}, []float64{1, 2}, 0.95); ok {
		t.Error("2+2 samples cannot give a 95% interval")
	}
}
