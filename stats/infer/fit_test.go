package infer

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mpbench/mpbench/stats"
)

// within reports whether got is within frac of want.
func within(got, want, frac float64) bool { return math.Abs(got-want) <= frac*math.Abs(want) }

// noisy returns speedups of law at cores with multiplicative noise of
// relative size amp (deterministic seed).
func noisy(law func(c float64) float64, cores []int, amp float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]float64, len(cores))
	for i, c := range cores {
		out[i] = law(float64(c))
		if c > 1 {
			out[i] *= 1 + amp*(2*rng.Float64()-1)
		}
	}
	return out
}

func TestFitRecoversAmdahl(t *testing.T) {
	cores := []int{1, 2, 3, 4, 6, 8, 12, 16}
	for _, s := range []float64{0.02, 0.1, 0.3} {
		for seed := uint64(1); seed <= 5; seed++ {
			sp := noisy(func(c float64) float64 { return stats.Amdahl(s, c) }, cores, 0.003, seed)
			f, err := FitScaling(cores, sp)
			if err != nil || !f.Available {
				t.Fatalf("s=%v: %v %s", s, err, f.Reason)
			}
			if !within(f.Amdahl.Serial, s, 0.05) {
				t.Errorf("s=%v seed %d: fitted s = %v, want within 5%%", s, seed, f.Amdahl.Serial)
			}
			// The standard error is honest: the truth is within 4 SE.
			if se := f.Amdahl.SerialSE; se == nil || *se <= 0 || math.Abs(f.Amdahl.Serial-s) > 4**se || *f.Amdahl.CILow > f.Amdahl.Serial || *f.Amdahl.CIHigh < f.Amdahl.Serial {
				t.Errorf("s=%v seed %d: SE %v, CI [%v, %v] does not hold s", s, seed, deref(f.Amdahl.SerialSE), deref(f.Amdahl.CILow), deref(f.Amdahl.CIHigh))
			}
			// An Amdahl curve is a USL curve with κ = 0 and σ = s: the
			// coherency term stays below a tenth of the contention term
			// at 16 cores.
			if !within(f.USL.Sigma, s, 0.05) || f.USL.Kappa*16 > 0.1*s {
				t.Errorf("s=%v seed %d: stats.USL σ=%v κ=%v, want σ≈s, κ≈0", s, seed, f.USL.Sigma, f.USL.Kappa)
			}
		}
	}
	// Exact data: the fit is exact and its SE vanishes.
	f, _ := FitScaling([]int{1, 2, 4, 8}, []float64{1, stats.Amdahl(0.2, 2), stats.Amdahl(0.2, 4), stats.Amdahl(0.2, 8)})
	if !within(f.Amdahl.Serial, 0.2, 1e-6) || *f.Amdahl.SerialSE > 1e-6 {
		t.Errorf("exact stats.Amdahl: s=%v SE=%v", f.Amdahl.Serial, *f.Amdahl.SerialSE)
	}
}

func TestFitRecoversUSL(t *testing.T) {
	cores := []int{1, 2, 4, 8, 12, 16, 24, 32, 48, 64}
	cases := []struct{ sigma, kappa float64 }{{0.05, 0.002}, {0.02, 0.0005}, {0.1, 0.001}}
	for _, tc := range cases {
		for seed := uint64(1); seed <= 5; seed++ {
			sp := noisy(func(c float64) float64 { return stats.USL(tc.sigma, tc.kappa, c) }, cores, 0.001, seed)
			f, err := FitScaling(cores, sp)
			if err != nil || !f.Available {
				t.Fatalf("%+v: %v %s", tc, err, f.Reason)
			}
			u := f.USL
			if !within(u.Sigma, tc.sigma, 0.05) || !within(u.Kappa, tc.kappa, 0.05) {
				t.Errorf("%+v seed %d: σ=%v κ=%v, want within 5%%", tc, seed, u.Sigma, u.Kappa)
			}
			peak := math.Sqrt((1 - tc.sigma) / tc.kappa)
			if u.PeakCores == nil || !within(*u.PeakCores, peak, 0.05) {
				t.Errorf("%+v: peak %v, want %v", tc, deref(u.PeakCores), peak)
			}
			if u.SigmaSE == nil || u.KappaSE == nil {
				t.Errorf("%+v: no standard errors", tc)
			}
			if len(f.Predictions) != 2 || f.Predictions[0].Cores != 128 || f.Predictions[1].Cores != 256 {
				t.Fatalf("predictions %+v, want at 128 and 256 cores", f.Predictions)
			}
			if want := stats.USL(tc.sigma, tc.kappa, 128); !within(f.Predictions[0].USL, want, 0.05) {
				t.Errorf("%+v: predicted stats.USL at 128 = %v, want %v", tc, f.Predictions[0].USL, want)
			}
		}
	}
}

func TestKarpFlatt(t *testing.T) {
	// For Amdahl data the Karp–Flatt metric is s at every c.
	f, err := FitScaling([]int{1, 2, 4}, []float64{1, stats.Amdahl(0.25, 2), stats.Amdahl(0.25, 4)})
	if err != nil {
		t.Fatal(err)
	}
	if f.Points[0].KarpFlatt != nil {
		t.Errorf("c=1 has Karp–Flatt %v, want none", *f.Points[0].KarpFlatt)
	}
	for _, p := range f.Points[1:] {
		if p.KarpFlatt == nil || !within(*p.KarpFlatt, 0.25, 1e-9) {
			t.Errorf("c=%d: e = %v, want 0.25", p.Cores, deref(p.KarpFlatt))
		}
	}
	// Perfect speedup: e = 0.
	if e := stats.KarpFlatt(4, 4); e != 0 {
		t.Errorf("stats.KarpFlatt(4, 4) = %v", e)
	}
}

func TestFitNeedsThreeCoreCounts(t *testing.T) {
	f, err := FitScaling([]int{1, 2}, []float64{1, 1.9})
	if err != nil {
		t.Fatal(err)
	}
	if f.Available || f.Amdahl != nil || !strings.Contains(f.Reason, "needs at least 3 core counts, has 2 (1, 2)") {
		t.Fatalf("fit %+v", f)
	}
	if len(f.Points) != 2 || f.Points[1].KarpFlatt == nil {
		t.Errorf("points %+v: Karp–Flatt is given per point even without a fit", f.Points)
	}
	if _, err := FitScaling([]int{1, 2}, []float64{1, -1}); err == nil {
		t.Error("a negative speedup is not an error")
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
