package ports

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/pitstop/pitstop/serviceapis/customerevents"
	"github.com/pitstop/pitstop/serviceapis/vehicleevents"
	"github.com/pitstop/pitstop/shared-go/events"
	"github.com/pitstop/pitstop/shared-go/messaging"
	"github.com/pitstop/pitstop/workshop/internal/application"
)

// recordingWriter is a hand-written RefDataWriter that keeps what it was asked to store.
type recordingWriter struct {
	customers []application.Customer
	vehicles  []application.Vehicle
}

func (w *recordingWriter) UpsertCustomer(_ context.Context, c application.Customer, _ application.SourceVersion) error {
	w.customers = append(w.customers, c)
	return nil
}

func (w *recordingWriter) UpsertVehicle(_ context.Context, v application.Vehicle, _ application.SourceVersion) error {
	w.vehicles = append(w.vehicles, v)
	return nil
}

// FuzzRefDataEvent feeds arbitrary bodies under every consumed event type to the
// reference-data handler: it must not panic, must fail only permanently (never a
// retryable error for bad data), and must only store keyed, storable text.
func FuzzRefDataEvent(f *testing.F) {
	types := []string{customerevents.SubjectCustomerRegistered, customerevents.SubjectCustomerUpdated,
		vehicleevents.SubjectVehicleRegistered, vehicleevents.SubjectVehicleUpdated, "pitstop.customers.Other"}
	for i := range types {
		f.Add(uint8(i), []byte(`{"customerId":"c1","name":"Jane","licenseNumber":"ab-1-c","brand":"VW"}`))
		f.Add(uint8(i), []byte(`{"customerId":5}`))
		f.Add(uint8(i), []byte(`{"customerId":"","licenseNumber":" "}`))
		f.Add(uint8(i), []byte(`{"customerId":"c\u0000","licenseNumber":"x\u0000"}`))
		f.Add(uint8(i), []byte(`[]`))
	}
	f.Fuzz(func(t *testing.T, typ uint8, data []byte) {
		w := &recordingWriter{}
		h := NewRefDataEventHandlers()
		ev := events.Envelope{ID: uuid.New(), Type: types[int(typ)%len(types)], Source: "fuzz", Time: time.Now(), Data: data}
		err := h.Handle(context.Background(), w, ev)
		if err != nil && !errors.Is(err, messaging.ErrPermanent) {
			t.Fatalf("bad data gave a retryable error: %v", err)
		}
		storable := func(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
		for _, c := range w.customers {
			if strings.TrimSpace(c.CustomerID) == "" || !storable(c.CustomerID) || !storable(c.Name) {
				t.Fatalf("stored customer %+v", c)
			}
		}
		for _, v := range w.vehicles {
			if v.LicenseNumber == "" || v.LicenseNumber != strings.ToUpper(v.LicenseNumber) || !storable(v.Brand) {
				t.Fatalf("stored vehicle %+v", v)
			}
		}
	})
}
