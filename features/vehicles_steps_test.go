package features

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/cucumber/godog"
)

func init() { stepRegistrars = append(stepRegistrars, vehicleSteps) }

type vehicle struct {
	LicenseNumber string `json:"licenseNumber"`
	Brand         string `json:"brand"`
	Type          string `json:"type"`
	OwnerID       string `json:"ownerId"`
}

// ownerID returns the customer id the scenario registered under name.
func (w *world) ownerID(name string) (string, error) {
	id, ok := w.ids[name]
	if !ok {
		return "", fmt.Errorf("the scenario never registered the customer %q", name)
	}
	return id, nil
}

// registerVehicle sends a vehicle registration and records the answer.
func (w *world) registerVehicle(v vehicle) error {
	return w.call(http.MethodPost, "vehicles", "/api/vehicles", v)
}

func vehicleSteps(sc *godog.ScenarioContext, w *world) {
	var (
		sent    []vehicle // registrations sent, in order
		answers []vehicle // vehicles in the accepted answers, in order
	)
	register := func(v vehicle) error {
		sent = append(sent, v)
		if err := w.registerVehicle(v); err != nil {
			return err
		}
		if w.status == http.StatusCreated || w.status == http.StatusOK {
			var got vehicle
			if err := w.decode(&got); err != nil {
				return err
			}
			answers = append(answers, got)
		}
		return nil
	}
	registerFor := func(brand, typ, plate, owner string) error {
		id, err := w.ownerID(owner)
		if err != nil {
			return err
		}
		return register(vehicle{LicenseNumber: plate, Brand: brand, Type: typ, OwnerID: id})
	}
	lookUp := func(plate string) (vehicle, error) {
		if err := w.call(http.MethodGet, "vehicles", "/api/vehicles/"+url.PathEscape(plate), nil); err != nil {
			return vehicle{}, err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return vehicle{}, err
		}
		var v vehicle
		return v, w.decode(&v)
	}
	ownedBy := func(owner string) ([]vehicle, error) {
		id, err := w.ownerID(owner)
		if err != nil {
			return nil, err
		}
		var all []vehicle
		cursor := ""
		for {
			q := url.Values{"ownerId": {id}, "limit": {"200"}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			if err := w.call(http.MethodGet, "vehicles", "/api/vehicles?"+q.Encode(), nil); err != nil {
				return nil, err
			}
			if err := w.expectStatus(http.StatusOK); err != nil {
				return nil, err
			}
			var page struct {
				Items []vehicle `json:"items"`
				Next  string    `json:"next"`
			}
			if err := w.decode(&page); err != nil {
				return nil, err
			}
			all = append(all, page.Items...)
			if page.Next == "" {
				return all, nil
			}
			cursor = page.Next
		}
	}

	sc.Step(`^the front desk registers the "([^"]*)" "([^"]*)" with licence number "([^"]*)" for "([^"]*)"$`, registerFor)
	sc.Step(`^"([^"]*)" has a registered "([^"]*)" "([^"]*)" with licence number "([^"]*)"$`, func(owner, brand, typ, plate string) error {
		if err := registerFor(brand, typ, plate, owner); err != nil {
			return err
		}
		return w.expectStatus(http.StatusCreated)
	})
	sc.Step(`^the front desk registers a vehicle with only the licence number "([^"]*)"$`, func(plate string) error {
		return register(vehicle{LicenseNumber: plate})
	})
	sc.Step(`^the front desk sends the same vehicle registration again$`, func() error {
		if len(sent) == 0 {
			return fmt.Errorf("no vehicle registration was sent before")
		}
		return register(sent[len(sent)-1])
	})
	sc.Step(`^both answers are about the same vehicle$`, func() error {
		if len(answers) != 2 || answers[0] != answers[1] {
			return fmt.Errorf("answers %+v", answers)
		}
		return nil
	})
	sc.Step(`^vehicle "([^"]*)" is a "([^"]*)" "([^"]*)" owned by "([^"]*)"$`, func(plate, brand, typ, owner string) error {
		id, err := w.ownerID(owner)
		if err != nil {
			return err
		}
		v, err := lookUp(plate)
		if err != nil {
			return err
		}
		if v.Brand != brand || v.Type != typ || v.OwnerID != id {
			return fmt.Errorf("vehicle %s is %+v, want a %s %s owned by %s (%s)", plate, v, brand, typ, owner, id)
		}
		return nil
	})
	sc.Step(`^"([^"]*)" owns (\d+) vehicles?$`, func(owner string, n int) error {
		vs, err := ownedBy(owner)
		if err != nil {
			return err
		}
		if len(vs) != n {
			return fmt.Errorf("%s owns %d vehicles %+v, want %d", owner, len(vs), vs, n)
		}
		return nil
	})
	sc.Step(`^the front desk records that vehicle "([^"]*)" is a "([^"]*)" "([^"]*)" owned by "([^"]*)"$`, func(plate, brand, typ, owner string) error {
		id, err := w.ownerID(owner)
		if err != nil {
			return err
		}
		return w.call(http.MethodPut, "vehicles", "/api/vehicles/"+url.PathEscape(plate),
			vehicle{LicenseNumber: plate, Brand: brand, Type: typ, OwnerID: id})
	})
	sc.Step(`^the change is accepted$`, func() error { return w.expectStatus(http.StatusOK) })
	sc.Step(`^the front desk looks up vehicle "([^"]*)"$`, func(plate string) error {
		return w.call(http.MethodGet, "vehicles", "/api/vehicles/"+url.PathEscape(plate), nil)
	})
	sc.Step(`^the vehicle is unknown$`, func() error { return w.expectStatus(http.StatusNotFound) })
	sc.Step(`^vehicle "([^"]*)" is unknown$`, func(plate string) error {
		if err := w.call(http.MethodGet, "vehicles", "/api/vehicles/"+url.PathEscape(plate), nil); err != nil {
			return err
		}
		return w.expectStatus(http.StatusNotFound)
	})
	sc.Step(`^the audit log shows the (Vehicle\w+) event for vehicle "([^"]*)"$`, func(typ, plate string) error {
		return w.auditShows("vehicles."+typ, plate, 1)
	})
	sc.Step(`^the audit log shows exactly (\d+) (Vehicle\w+) events? for vehicle "([^"]*)"$`, func(n int, typ, plate string) error {
		return w.auditShows("vehicles."+typ, plate, n)
	})
}
