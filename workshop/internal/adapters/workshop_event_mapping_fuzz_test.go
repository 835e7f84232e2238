package adapters_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/pitstop/pitstop/serviceapis/workshopevents"
	"github.com/pitstop/pitstop/workshop/internal/adapters"
	"github.com/pitstop/pitstop/workshop/internal/domain"
)

// FuzzWorkshopEventDecoder feeds arbitrary bodies to the stored-event decoder: it must
// not panic, and whatever it accepts must map back to the same contract body.
func FuzzWorkshopEventDecoder(f *testing.F) {
	types := []string{workshopevents.SubjectWorkshopPlanningCreated, workshopevents.SubjectMaintenanceJobPlanned,
		workshopevents.SubjectMaintenanceJobFinished, workshopevents.SubjectMaintenanceJobCancelled,
		workshopevents.SubjectMaintenanceJobMoved}
	f.Add(uint8(0), []byte(`{"planningDate":"2024-05-01"}`))
	f.Add(uint8(1), []byte(`{"planningDate":"2024-05-01","jobId":"j1","startTime":"2024-05-01T08:00:00+02:00",
		"endTime":"2024-05-01T10:00:00+02:00","description":"APK","customer":{"customerId":"c","name":"n","telephoneNumber":"t"},
		"vehicle":{"licenseNumber":"AB-1-C","brand":"b","type":"t"}}`))
	f.Add(uint8(2), []byte(`{"planningDate":"2024-05-01","jobId":"j1","actualStartTime":"2024-05-01T08:00:00.5Z",
		"actualEndTime":"2024-05-01T09:00:00Z","notes":"ok"}`))
	f.Add(uint8(1), []byte(`{"startTime":"2024-05-01T10:00:00Z","endTime":"2024-05-01T08:00:00Z"}`))
	f.Add(uint8(3), []byte(`{"planningDate":"2024-05-01","jobId":"j1","reason":"customer called"}`))
	f.Add(uint8(3), []byte(`{"planningDate":"2024-05-01","jobId":"j1"}`))
	f.Add(uint8(4), []byte(`{"planningDate":"2024-05-01","jobId":"j1","toPlanningDate":"2024-05-02","toJobId":"j1",
		"startTime":"2024-05-02T08:00:00+02:00","endTime":"2024-05-02T09:00:00+02:00"}`))
	f.Add(uint8(4), []byte(`{"planningDate":"2024-05-01","jobId":"j1","toPlanningDate":"2024-13-02","toJobId":"j1",
		"startTime":"2024-05-02T08:00:00+02:00","endTime":"2024-05-02T09:00:00+02:00"}`))
	f.Fuzz(func(t *testing.T, typ uint8, data []byte) {
		eventType := types[int(typ)%len(types)]
		ev, err := adapters.FromContract(eventType, data)
		if err != nil {
			return
		}
		date, _ := domain.ParsePlanningDate("2024-05-01")
		if c, ok := ev.(domain.WorkshopPlanningCreated); ok {
			date = c.Date
		}
		p, err := adapters.ToContract(date, ev)
		if err != nil {
			t.Fatalf("decoded event does not map back: %v", err)
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		ev2, err := adapters.FromContract(eventType, again)
		if err != nil {
			t.Fatalf("re-encoded event %s does not decode: %v", again, err)
		}
		p2, _ := adapters.ToContract(date, ev2)
		third, _ := json.Marshal(p2)
		if !bytes.Equal(again, third) {
			t.Fatalf("round trip not stable:\n%s\n%s", again, third)
		}
	})
}
