package adapters_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// planning50 builds an unsaved planning of date with 50 jobs: 30 minutes each, one
// starting every 10 minutes from 08:00, so exactly 3 run at any time (the maximum) and
// every rule is exercised at full occupancy.
func planning50(b *testing.B, date domain.PlanningDate) *domain.WorkshopPlanning {
	b.Helper()
	p, err := domain.NewWorkshopPlanning(date)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 50 {
		j := newJob(b, date, fmt.Sprintf("job-%02d", i), fmt.Sprintf("AB-%03d-X", i), 480+10*i, 510+10*i)
		if err := p.PlanMaintenanceJob(j); err != nil {
			b.Fatalf("job %d: %v", i, err)
		}
	}
	return p
}

func dateN(b *testing.B, n int) domain.PlanningDate {
	b.Helper()
	d, err := domain.ParsePlanningDate(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n).Format(domain.DateLayout))
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkPlanning50Jobs measures the event store on a planning of 51 events (created +
// 50 jobs): load = read and replay it; append = save all 51 events of a new planning
// (events + outbox rows, one transaction); plan-one = load a 50-job planning, decide one
// more job and append its event (the cost of one POST .../jobs without HTTP).
func BenchmarkPlanning50Jobs(b *testing.B) {
	ctx := context.Background()
	_, store := setupStore(b)

	b.Run("load", func(b *testing.B) {
		date := dateN(b, -1)
		if err := store.Save(ctx, planning50(b, date)); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			p, err := store.Load(ctx, date)
			if err != nil || len(p.Jobs()) != 50 {
				b.Fatalf("load: %v", err)
			}
		}
	})

	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			b.StopTimer()
			p := planning50(b, dateN(b, 100000+n))
			n++
			b.StartTimer()
			if err := store.Save(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*51), "ns/event")
	})

	b.Run("plan-one", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			b.StopTimer()
			date := dateN(b, 200000+n)
			n++
			if err := store.Save(ctx, planning50(b, date)); err != nil {
				b.Fatal(err)
			}
			j := newJob(b, date, "extra", "ZZ-999-Z", 17*60, 17*60+30)
			b.StartTimer()
			p, err := store.Load(ctx, date)
			if err != nil {
				b.Fatal(err)
			}
			if err := p.PlanMaintenanceJob(j); err != nil {
				b.Fatal(err)
			}
			if err := store.Save(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
