package modeltest

import (
	"context"
	"time"

	"github.com/mpbench/mpbench/models"
)

// Slow returns m made slower, for tests that must see a model regress: a
// model named m's name + "-slow" whose compute phase runs m's and then
// sleeps factor times as long again. It has m's capabilities (single core,
// family, availability).
//
// A test binary that plays the cell runner (TestMain) puts it in the
// registry it serves, beside m: a regression gate then runs it against a
// baseline of m's cells under its name, and must fail.
func Slow(m models.Model, factor float64) models.Model {
	return slow{inner: m, factor: factor}
}

type slow struct {
	inner  models.Model
	factor float64
}

func (m slow) Name() string { return m.inner.Name() + "-slow" }

func (m slow) Doc() string { return m.inner.Doc() + " (made slower for a test)" }

func (m slow) SingleCore() bool { return models.IsSingleCore(m.inner) }

func (m slow) Family() string { return models.FamilyOf(m.inner) }

func (m slow) Available() error {
	if a, ok := m.inner.(models.Availability); ok {
		return a.Available()
	}
	return nil
}

func (m slow) Setup(ctx context.Context, cfg models.Config) (models.Session, error) {
	s, err := m.inner.Setup(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &slowSession{Session: s, factor: m.factor}, nil
}

type slowSession struct {
	models.Session
	factor float64
}

// Compute runs the model's compute, then sleeps factor times as long, and
// adds the sleep to the phases of a model that reports its own.
func (s *slowSession) Compute(ctx context.Context) (models.Output, error) {
	start := time.Now()
	out, err := s.Session.Compute(ctx)
	if err != nil {
		return out, err
	}
	d := time.Duration(s.factor * float64(time.Since(start)))
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return out, ctx.Err()
	}
	if out.Phases != nil {
		ph := *out.Phases
		ph.Compute += d
		out.Phases = &ph
	}
	return out, nil
}

// TeardownTime forwards the inner session's own teardown time
// (models.TeardownTimer).
func (s *slowSession) TeardownTime() (time.Duration, bool) {
	if t, ok := s.Session.(models.TeardownTimer); ok {
		return t.TeardownTime()
	}
	return 0, false
}
