package features

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cucumber/godog"
	"github.com/google/uuid"
)

func init() { stepRegistrars = append(stepRegistrars, workshopSteps) }

// farDays counts the days handed out by farDay, so that every scenario plans on a day
// of its own and scenarios never share a planning in the one system they all run on.
var farDays atomic.Int64

// farDay returns a calendar day far in the future that no other scenario of this run uses.
func farDay() string {
	return time.Date(2101, time.January, 1, 0, 0, 0, 0, time.UTC).
		AddDate(0, 0, int(farDays.Add(1))).Format(time.DateOnly)
}

type jobCustomer struct {
	CustomerID      string `json:"customerId"`
	Name            string `json:"name"`
	TelephoneNumber string `json:"telephoneNumber"`
}

type jobVehicle struct {
	LicenseNumber string `json:"licenseNumber"`
	Brand         string `json:"brand"`
	Type          string `json:"type"`
}

type planJobRequest struct {
	JobID       string      `json:"jobId,omitempty"`
	StartTime   string      `json:"startTime"`
	EndTime     string      `json:"endTime"`
	Description string      `json:"description"`
	Customer    jobCustomer `json:"customer"`
	Vehicle     jobVehicle  `json:"vehicle"`
}

type job struct {
	JobID           string      `json:"jobId"`
	StartTime       string      `json:"startTime"`
	EndTime         string      `json:"endTime"`
	Description     string      `json:"description"`
	Customer        jobCustomer `json:"customer"`
	Vehicle         jobVehicle  `json:"vehicle"`
	Status          string      `json:"status"`
	ActualStartTime *string     `json:"actualStartTime"`
	ActualEndTime   *string     `json:"actualEndTime"`
	Notes           *string     `json:"notes"`
}

type planning struct {
	PlanningDate string `json:"planningDate"`
	Jobs         []job  `json:"jobs"`
}

// sameInstant reports whether the RFC 3339 time s is the instant want.
func sameInstant(s string, want time.Time) bool {
	t, err := time.Parse(time.RFC3339, s)
	return err == nil && t.Equal(want)
}

func workshopSteps(sc *godog.ScenarioContext, w *world) {
	var (
		day      string                // the planning the scenario works on, YYYY-MM-DD
		jobs     = map[string]string{} // job id by upper-cased licence number
		lastPlan planJobRequest
		statuses []int // answers to plan requests, in order
	)
	// at is hh:mm on the planning's day (plus extraDays), in the garage's time zone.
	at := func(hhmm string, extraDays int) (time.Time, error) {
		d, err := time.ParseInLocation(time.DateOnly, day, time.Local)
		if err != nil {
			return time.Time{}, fmt.Errorf("the scenario chose no planning day: %w", err)
		}
		hm, err := time.Parse("15:04", hhmm)
		if err != nil {
			return time.Time{}, err
		}
		return time.Date(d.Year(), d.Month(), d.Day()+extraDays, hm.Hour(), hm.Minute(), 0, 0, time.Local), nil
	}
	slot := func(from, to string, extraDays int) (start, end time.Time, err error) {
		if start, err = at(from, 0); err != nil {
			return start, end, err
		}
		end, err = at(to, extraDays)
		return start, end, err
	}
	planningPath := func() string { return "/api/workshopplanning/" + day }
	jobID := func(plate string) (string, error) {
		id, ok := jobs[strings.ToUpper(plate)]
		if !ok {
			return "", fmt.Errorf("no job was planned for vehicle %s", plate)
		}
		return id, nil
	}
	// plan sends the request and, when it is accepted, remembers the job's id.
	plan := func(req planJobRequest) error {
		lastPlan = req
		if err := w.call(http.MethodPost, "workshop", planningPath()+"/jobs", req); err != nil {
			return err
		}
		statuses = append(statuses, w.status)
		if w.status != http.StatusCreated && w.status != http.StatusOK {
			return nil
		}
		var p planning
		if err := w.decode(&p); err != nil {
			return err
		}
		for _, j := range p.Jobs {
			if strings.EqualFold(j.Vehicle.LicenseNumber, req.Vehicle.LicenseNumber) && j.StartTime != "" {
				start, _ := time.Parse(time.RFC3339, req.StartTime)
				if sameInstant(j.StartTime, start) {
					jobs[strings.ToUpper(req.Vehicle.LicenseNumber)] = j.JobID
					return nil
				}
			}
		}
		return fmt.Errorf("the accepted planning %s does not hold the job for %s", w.body, req.Vehicle.LicenseNumber)
	}
	request := func(description, plate, from, to string, extraDays int) (planJobRequest, error) {
		start, end, err := slot(from, to, extraDays)
		if err != nil {
			return planJobRequest{}, err
		}
		return planJobRequest{
			StartTime: start.Format(time.RFC3339), EndTime: end.Format(time.RFC3339), Description: description,
			Customer: jobCustomer{CustomerID: uuid.NewString(), Name: "Owner of " + plate, TelephoneNumber: "+31 20 555 0100"},
			Vehicle:  jobVehicle{LicenseNumber: plate, Brand: "Volkswagen", Type: "Golf"},
		}, nil
	}
	planJob := func(description, plate, from, to string) error {
		req, err := request(description, plate, from, to, 0)
		if err != nil {
			return err
		}
		return plan(req)
	}
	planned := func(description, plate, from, to string) error {
		if err := planJob(description, plate, from, to); err != nil {
			return err
		}
		return w.expectStatus(http.StatusCreated)
	}
	getPlanning := func() (planning, error) {
		if err := w.call(http.MethodGet, "workshop", planningPath(), nil); err != nil {
			return planning{}, err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return planning{}, err
		}
		var p planning
		if err := w.decode(&p); err != nil {
			return planning{}, err
		}
		if p.PlanningDate != day {
			return planning{}, fmt.Errorf("asked for the planning of %s, got %s", day, p.PlanningDate)
		}
		return p, nil
	}
	getJob := func(plate string) (job, error) {
		id, err := jobID(plate)
		if err != nil {
			return job{}, err
		}
		if err := w.call(http.MethodGet, "workshop", planningPath()+"/jobs/"+id, nil); err != nil {
			return job{}, err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return job{}, err
		}
		var j job
		return j, w.decode(&j)
	}
	finish := func(plate, from, to, notes string) error {
		id, err := jobID(plate)
		if err != nil {
			return err
		}
		start, end, err := slot(from, to, 0)
		if err != nil {
			return err
		}
		return w.call(http.MethodPut, "workshop", planningPath()+"/jobs/"+id+"/finish", map[string]string{
			"actualStartTime": start.Format(time.RFC3339), "actualEndTime": end.Format(time.RFC3339), "notes": notes})
	}
	refData := func(path string, v any) error {
		if err := w.call(http.MethodGet, "workshop", path, nil); err != nil {
			return err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return err
		}
		return w.decode(v)
	}

	sc.Step(`^the planner works on today's planning$`, func() error {
		day = time.Now().Format(time.DateOnly)
		return nil
	})
	sc.Step(`^the planner works on the planning of a day far in the future$`, func() error {
		day = farDay()
		return nil
	})
	sc.Step(`^there is no planning for that day$`, func() error {
		if err := w.call(http.MethodGet, "workshop", planningPath(), nil); err != nil {
			return err
		}
		return w.expectStatus(http.StatusNotFound)
	})
	sc.Step(`^(?:the planner plans|I plan) "([^"]*)" for vehicle "([^"]*)" from (\d\d:\d\d) to (\d\d:\d\d)$`, planJob)
	sc.Step(`^the planner has planned "([^"]*)" for vehicle "([^"]*)" from (\d\d:\d\d) to (\d\d:\d\d)$`, planned)
	sc.Step(`^the planner has planned$`, func(table *godog.Table) error {
		for i, row := range table.Rows {
			if i == 0 {
				continue // the header
			}
			c := row.Cells
			if err := planned(c[0].Value, c[1].Value, c[2].Value, c[3].Value); err != nil {
				return fmt.Errorf("row %d: %w", i, err)
			}
		}
		return nil
	})
	sc.Step(`^the planner plans "([^"]*)" for vehicle "([^"]*)" from (\d\d:\d\d) to (\d\d:\d\d) the next day$`,
		func(description, plate, from, to string) error {
			req, err := request(description, plate, from, to, 1)
			if err != nil {
				return err
			}
			return plan(req)
		})
	sc.Step(`^the planner plans "([^"]*)" for vehicle "([^"]*)" from (\d\d:\d\d) to (\d\d:\d\d) under a job number of their own$`,
		func(description, plate, from, to string) error {
			req, err := request(description, plate, from, to, 0)
			if err != nil {
				return err
			}
			req.JobID = uuid.NewString()
			return plan(req)
		})
	sc.Step(`^the planner sends the same job again$`, func() error {
		if len(statuses) == 0 {
			return fmt.Errorf("no job was sent before")
		}
		return plan(lastPlan)
	})
	sc.Step(`^the planner plans "([^"]*)" for vehicle "([^"]*)" from (\d\d:\d\d) to (\d\d:\d\d) with the details the workshop knows$`,
		func(description, plate, from, to string) error {
			var v vehicle
			if err := refData("/api/refdata/vehicles/"+url.PathEscape(plate), &v); err != nil {
				return fmt.Errorf("the workshop's vehicle: %w", err)
			}
			var c customer
			if err := refData("/api/refdata/customers/"+url.PathEscape(v.OwnerID), &c); err != nil {
				return fmt.Errorf("the workshop's customer: %w", err)
			}
			req, err := request(description, plate, from, to, 0)
			if err != nil {
				return err
			}
			req.Customer = jobCustomer{CustomerID: c.CustomerID, Name: c.Name, TelephoneNumber: c.TelephoneNumber}
			req.Vehicle = jobVehicle{LicenseNumber: v.LicenseNumber, Brand: v.Brand, Type: v.Type}
			return plan(req)
		})
	sc.Step(`^the job is accepted$`, func() error { return w.expectStatus(http.StatusCreated) })
	sc.Step(`^the job is accepted the first time and confirmed the second time$`, func() error {
		if !slices.Equal(statuses, []int{http.StatusCreated, http.StatusOK}) {
			return fmt.Errorf("answers %v, want [201 200] (last: %s)", statuses, w.body)
		}
		return nil
	})
	sc.Step(`^the (?:planner|mechanic) is told "([^"]*)"$`, func(message string) error {
		if err := w.expectStatus(http.StatusConflict); err != nil {
			return err
		}
		var p problem
		if err := w.decode(&p); err != nil {
			return err
		}
		if p.Detail != message {
			return fmt.Errorf("told %q, want %q", p.Detail, message)
		}
		return nil
	})
	sc.Step(`^the planner is told that the end time must be after the start time$`, func() error {
		return refusedFor(w, []string{"endTime"})
	})
	sc.Step(`^the planner is told that the job must start and end on the planning's day$`, func() error {
		if err := w.expectStatus(http.StatusConflict); err != nil {
			return err
		}
		var p problem
		if err := w.decode(&p); err != nil {
			return err
		}
		if !strings.Contains(p.Detail, "planning date") || !strings.Contains(p.Detail, day) {
			return fmt.Errorf("told %q, want the rule that a job is on the planning date %s", p.Detail, day)
		}
		return nil
	})
	sc.Step(`^the mechanic is told that the job is unknown$`, func() error { return w.expectStatus(http.StatusNotFound) })
	sc.Step(`^the planning shows "([^"]*)" for vehicle "([^"]*)" from (\d\d:\d\d) to (\d\d:\d\d) as (Planned|Completed)$`,
		func(description, plate, from, to, status string) error {
			start, end, err := slot(from, to, 0)
			if err != nil {
				return err
			}
			p, err := getPlanning()
			if err != nil {
				return err
			}
			for _, j := range p.Jobs {
				if j.Vehicle.LicenseNumber == strings.ToUpper(plate) && j.Description == description &&
					sameInstant(j.StartTime, start) && sameInstant(j.EndTime, end) {
					if j.Status != status {
						return fmt.Errorf("the job is %s, want %s", j.Status, status)
					}
					return nil
				}
			}
			return fmt.Errorf("the planning of %s does not show %q for %s from %s to %s: %s", day, description, plate, from, to, w.body)
		})
	sc.Step(`^the planning holds (\d+) jobs?$`, func(n int) error {
		p, err := getPlanning()
		if err != nil {
			return err
		}
		if len(p.Jobs) != n {
			return fmt.Errorf("the planning of %s holds %d jobs, want %d: %s", day, len(p.Jobs), n, w.body)
		}
		return nil
	})
	sc.Step(`^(?:the mechanic finishes|I finish) the job on vehicle "([^"]*)", having worked from (\d\d:\d\d) to (\d\d:\d\d), noting "([^"]*)"$`, finish)
	sc.Step(`^the mechanic has finished the job on vehicle "([^"]*)", having worked from (\d\d:\d\d) to (\d\d:\d\d), noting "([^"]*)"$`,
		func(plate, from, to, notes string) error {
			if err := finish(plate, from, to, notes); err != nil {
				return err
			}
			return w.expectStatus(http.StatusOK)
		})
	sc.Step(`^the mechanic finishes a job that was never planned$`, func() error {
		start, end, err := slot("08:00", "09:00", 0)
		if err != nil {
			return err
		}
		return w.call(http.MethodPut, "workshop", planningPath()+"/jobs/"+uuid.NewString()+"/finish", map[string]string{
			"actualStartTime": start.Format(time.RFC3339), "actualEndTime": end.Format(time.RFC3339), "notes": "Nothing to do"})
	})
	sc.Step(`^the finish is accepted$`, func() error { return w.expectStatus(http.StatusOK) })
	sc.Step(`^the job on vehicle "([^"]*)" is Completed, worked from (\d\d:\d\d) to (\d\d:\d\d), noting "([^"]*)"$`,
		func(plate, from, to, notes string) error {
			start, end, err := slot(from, to, 0)
			if err != nil {
				return err
			}
			j, err := getJob(plate)
			if err != nil {
				return err
			}
			if j.Status != "Completed" || j.ActualStartTime == nil || j.ActualEndTime == nil || j.Notes == nil ||
				!sameInstant(*j.ActualStartTime, start) || !sameInstant(*j.ActualEndTime, end) || *j.Notes != notes {
				return fmt.Errorf("the job is %s, want Completed from %s to %s noting %q", w.body, from, to, notes)
			}
			return nil
		})
	sc.Step(`^the job on vehicle "([^"]*)" is for "([^"]*)", a "([^"]*)" "([^"]*)"$`, func(plate, name, brand, typ string) error {
		id, err := w.ownerID(name)
		if err != nil {
			return err
		}
		j, err := getJob(plate)
		if err != nil {
			return err
		}
		registered := sampleCustomer(name)
		want := jobCustomer{CustomerID: id, Name: name, TelephoneNumber: registered.TelephoneNumber}
		if j.Customer != want || j.Vehicle != (jobVehicle{LicenseNumber: strings.ToUpper(plate), Brand: brand, Type: typ}) {
			return fmt.Errorf("the job is %s, want it for %+v with a %s %s", w.body, want, brand, typ)
		}
		return nil
	})
	sc.Step(`^the workshop soon knows customer "([^"]*)"$`, func(name string) error {
		id, err := w.ownerID(name)
		if err != nil {
			return err
		}
		want := sampleCustomer(name)
		want.CustomerID = id
		return eventually(10*time.Second, func() error {
			var c customer
			if err := refData("/api/refdata/customers/"+url.PathEscape(id), &c); err != nil {
				return err
			}
			if c != want {
				return fmt.Errorf("the workshop knows %+v, want %+v", c, want)
			}
			return nil
		})
	})
	sc.Step(`^the workshop soon knows vehicle "([^"]*)" as a "([^"]*)" "([^"]*)" owned by "([^"]*)"$`, func(plate, brand, typ, owner string) error {
		id, err := w.ownerID(owner)
		if err != nil {
			return err
		}
		want := vehicle{LicenseNumber: strings.ToUpper(plate), Brand: brand, Type: typ, OwnerID: id}
		return eventually(10*time.Second, func() error {
			var v vehicle
			if err := refData("/api/refdata/vehicles/"+url.PathEscape(plate), &v); err != nil {
				return err
			}
			if v != want {
				return fmt.Errorf("the workshop knows %+v, want %+v", v, want)
			}
			return nil
		})
	})
	sc.Step(`^the audit log shows (\d+) (WorkshopPlanningCreated|MaintenanceJobPlanned|MaintenanceJobFinished) events? for that day$`,
		func(n int, typ string) error {
			if err := w.auditShows("workshop."+typ, day, n); err != nil {
				return err
			}
			if typ == "WorkshopPlanningCreated" {
				return nil
			}
			// The job events are about the jobs this scenario planned.
			items, err := w.auditEntries("workshop."+typ, day)
			if err != nil {
				return err
			}
			for _, it := range items {
				data, _ := it["data"].(map[string]any)
				id, _ := data["jobId"].(string)
				if !slices.Contains(slices.Collect(maps.Values(jobs)), id) {
					return fmt.Errorf("the audit log holds %s about job %q, which the scenario did not plan: %v", typ, id, it)
				}
			}
			return nil
		})

	sc.Step(`^the planner moves the job on vehicle "([^"]*)" to (\d\d:\d\d) to (\d\d:\d\d) on that day$`, func(plate, from, to string) error {
		id, err := jobID(plate)
		if err != nil {
			return err
		}
		start, end, err := slot(from, to, 0)
		if err != nil {
			return err
		}
		return w.call(http.MethodPost, "workshop", planningPath()+"/jobs/"+id+"/move", map[string]string{
			"startTime": start.Format(time.RFC3339), "endTime": end.Format(time.RFC3339)})
	})
	sc.Step(`^the audit log, asked for what "([^"]*)" did, shows (\d+) (MaintenanceJobPlanned|MaintenanceJobFinished) events? for that day$`,
		func(actor string, n int, typ string) error {
			q := url.Values{"type": {"pitstop.workshop." + typ}, "subject": {day}, "actor": {actor}}
			return eventually(10*time.Second, func() error {
				if err := w.call(http.MethodGet, "auditlog", "/api/auditlog?"+q.Encode(), nil); err != nil {
					return err
				}
				if err := w.expectStatus(http.StatusOK); err != nil {
					return err
				}
				var page struct {
					Items []struct {
						Actor string `json:"actor"`
					} `json:"items"`
				}
				if err := w.decode(&page); err != nil {
					return err
				}
				if len(page.Items) != n {
					return fmt.Errorf("the audit log holds %d %s events by %q for %s, want %d", len(page.Items), typ, actor, day, n)
				}
				for _, it := range page.Items {
					if it.Actor != actor {
						return fmt.Errorf("asked for %q, the audit log names %q", actor, it.Actor)
					}
				}
				return nil
			})
		})
}
