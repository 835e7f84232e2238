package application_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pitstop/pitstop/notifications/internal/application"
	"github.com/pitstop/pitstop/notifications/internal/domain"
	"github.com/pitstop/pitstop/shared-go/events"
)

// memoryStore is an in-memory application.Store and application.SentReminderBook with
// the semantics the Postgres store documents, for testing the use cases' rules.
type memoryStore struct {
	customers map[string]memCustomer
	jobs      map[domain.JobKey]*memJob
	days      []domain.Date
	reminders []domain.Reminder
	events    []events.Envelope
	mails     []domain.Mail
}

type memCustomer struct {
	c domain.Customer
	v application.SourceVersion
}

type memJob struct {
	job       domain.Job
	planned   bool
	finished  bool
	cancelled bool
	reminded  bool
}

func newMemoryStore() *memoryStore {
	return &memoryStore{customers: map[string]memCustomer{}, jobs: map[domain.JobKey]*memJob{}}
}

func (s *memoryStore) UpsertCustomer(_ context.Context, c domain.Customer, v application.SourceVersion) (bool, error) {
	if old, ok := s.customers[c.ID()]; ok {
		if c := old.v.Time.Compare(v.Time); c > 0 || (c == 0 && strings.Compare(old.v.EventID.String(), v.EventID.String()) >= 0) {
			return false, nil
		}
	}
	s.customers[c.ID()] = memCustomer{c: c, v: v}
	return true, nil
}

func (s *memoryStore) RecordJobPlan(_ context.Context, j domain.Job) (bool, error) {
	row, ok := s.jobs[j.Key()]
	if ok && row.planned {
		return false, nil
	}
	if !ok {
		row = &memJob{}
		s.jobs[j.Key()] = row
	}
	row.job, row.planned = j, true
	return true, nil
}

func (s *memoryStore) RecordJobFinish(_ context.Context, k domain.JobKey) error {
	row, ok := s.jobs[k]
	if !ok {
		row = &memJob{}
		s.jobs[k] = row
	}
	row.finished = true
	return nil
}

func (s *memoryStore) RecordJobCancel(_ context.Context, k domain.JobKey) (application.JobChange, error) {
	row, ok := s.jobs[k]
	if !ok {
		row = &memJob{}
		s.jobs[k] = row
	}
	ch := application.JobChange{Planned: row.planned, Reminded: row.reminded}
	row.cancelled = true
	return ch, nil
}

func (s *memoryStore) RescheduleJob(_ context.Context, k domain.JobKey, start, end time.Time) (application.JobChange, error) {
	row, ok := s.jobs[k]
	if !ok || !row.planned {
		return application.JobChange{}, nil
	}
	d := row.job.Details()
	d.Start, d.End = start, end
	j, err := domain.NewJob(d)
	if err != nil {
		return application.JobChange{}, err
	}
	row.job = j
	return application.JobChange{Planned: true, Reminded: row.reminded}, nil
}

func (s *memoryStore) ForgetJob(_ context.Context, k domain.JobKey) (application.JobChange, error) {
	row, ok := s.jobs[k]
	if !ok {
		return application.JobChange{}, nil
	}
	delete(s.jobs, k)
	return application.JobChange{Planned: row.planned, Reminded: row.reminded}, nil
}

func (s *memoryStore) StartDay(_ context.Context, date domain.Date) (bool, error) {
	if !slices.Contains(s.days, date) {
		s.days = append(s.days, date)
	}
	for _, d := range s.days {
		if date.Before(d) {
			return false, nil
		}
	}
	return true, nil
}

func (s *memoryStore) CurrentDay(context.Context) (domain.Date, bool, error) {
	var cur domain.Date
	for _, d := range s.days {
		if cur.Before(d) {
			cur = d
		}
	}
	return cur, !cur.IsZero(), nil
}

func (s *memoryStore) DueReminders(_ context.Context, date domain.Date, customerID string) ([]application.DueReminder, []string, error) {
	var due []application.DueReminder
	var waiting []string
	byCustomer := map[string]int{}
	var keys []domain.JobKey
	for k := range s.jobs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b domain.JobKey) int { return strings.Compare(a.JobID(), b.JobID()) })
	for _, k := range keys {
		row := s.jobs[k]
		j := row.job
		if !row.planned || row.finished || row.cancelled || row.reminded || k.PlanningDate() != date ||
			(customerID != "" && j.CustomerID() != customerID) {
			continue
		}
		c, ok := s.customers[j.CustomerID()]
		if !ok {
			waiting = append(waiting, j.ID())
			continue
		}
		i, ok := byCustomer[j.CustomerID()]
		if !ok {
			earlier := 0
			for _, r := range s.reminders {
				if r.Customer().ID() == j.CustomerID() && r.Date() == date {
					earlier++
				}
			}
			i = len(due)
			byCustomer[j.CustomerID()] = i
			due = append(due, application.DueReminder{Customer: c.c, Earlier: earlier})
		}
		due[i].Jobs = append(due[i].Jobs, j)
	}
	slices.SortFunc(due, func(a, b application.DueReminder) int { return strings.Compare(a.Customer.ID(), b.Customer.ID()) })
	return due, waiting, nil
}

func (s *memoryStore) AddReminder(_ context.Context, r domain.Reminder) error {
	for _, j := range r.Jobs() {
		row := s.jobs[j.Key()]
		if row == nil || row.reminded || row.finished || row.cancelled {
			return fmt.Errorf("%w: %s", application.ErrJobAlreadyReminded, j.ID())
		}
	}
	for _, j := range r.Jobs() {
		s.jobs[j.Key()].reminded = true
	}
	for _, m := range s.mails {
		if m.ID == r.MessageID() {
			return fmt.Errorf("duplicate message id %s", m.ID)
		}
	}
	s.reminders = append(s.reminders, r)
	s.mails = append(s.mails, r.Mail())
	return nil
}

func (s *memoryStore) ReminderByMessageID(_ context.Context, id string) (application.ReminderRecord, bool, error) {
	for i, r := range s.reminders {
		if r.MessageID() == id {
			return application.ReminderRecord{CustomerID: r.Customer().ID(), Date: r.Date(), JobIDs: r.JobIDs(),
				MessageID: r.MessageID(), Position: int64(i + 1)}, true, nil
		}
	}
	return application.ReminderRecord{}, false, nil
}

func (s *memoryStore) AddEvent(_ context.Context, ev events.Envelope) error {
	s.events = append(s.events, ev)
	return nil
}
