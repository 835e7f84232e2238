package domain_test

import (
	"errors"
	"net/mail"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pitstop/pitstop/notifications/internal/domain"
)

func customer(t *testing.T, id string) domain.Customer {
	t.Helper()
	c, err := domain.NewCustomer(domain.CustomerDetails{CustomerID: id, Name: "Lisa de Vries", EmailAddress: "lisa@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func job(t *testing.T, id, customerID, day string, startHour int, description, licence string) domain.Job {
	t.Helper()
	d := date(t, day)
	y, m, dd := d.Time().Date()
	j, err := domain.NewJob(domain.JobDetails{JobID: id, PlanningDate: d, CustomerID: customerID, Description: description,
		LicenseNumber: licence, Start: time.Date(y, m, dd, startHour, 0, 0, 0, local), End: time.Date(y, m, dd, startHour+2, 0, 0, 0, local)})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestNewReminderRejectsWhatIsNotOneCustomersDay(t *testing.T) {
	t.Parallel()
	c := customer(t, "c-1")
	day := date(t, "2024-05-01")
	j1 := job(t, "j-1", "c-1", "2024-05-01", 8, "APK", "AB-123-C")
	for _, tc := range []struct {
		name string
		c    domain.Customer
		day  domain.Date
		seq  int
		jobs []domain.Job
	}{
		{"no jobs", c, day, 1, nil},
		{"no customer", domain.Customer{}, day, 1, []domain.Job{j1}},
		{"no date", c, domain.Date{}, 1, []domain.Job{j1}},
		{"sequence zero", c, day, 0, []domain.Job{j1}},
		{"zero job", c, day, 1, []domain.Job{{}}},
		{"another customer's job", c, day, 1, []domain.Job{j1, job(t, "j-2", "c-2", "2024-05-01", 8, "APK", "X")}},
		{"another day's job", c, day, 1, []domain.Job{job(t, "j-2", "c-1", "2024-05-02", 8, "APK", "X")}},
		{"a job twice", c, day, 1, []domain.Job{j1, j1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := domain.NewReminder(tc.c, tc.day, tc.seq, tc.jobs); !errors.Is(err, domain.ErrInvalidReminder) {
				t.Errorf("error %v, want ErrInvalidReminder", err)
			}
		})
	}
}

func TestReminderMail(t *testing.T) {
	t.Parallel()
	c := customer(t, "c-1")
	late := job(t, "j-late", "c-1", "2024-05-01", 13, "Replace\nfront brake pads", "XY-99-Z")
	early := job(t, "j-early", "c-1", "2024-05-01", 8, "APK", "AB-123-C")
	r, err := domain.NewReminder(c, date(t, "2024-05-01"), 1, []domain.Job{late, early})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.JobIDs(), []string{"j-early", "j-late"}; !reflect.DeepEqual(got, want) {
		t.Errorf("job ids %v, want %v (by start time)", got, want)
	}
	m := r.Mail()
	if m.ID != "reminder.c-1.2024-05-01@pitstop.example" || m.ID != r.MessageID() {
		t.Errorf("message id %q / %q", m.ID, r.MessageID())
	}
	if m.From != "noreply@pitstop.example" || !reflect.DeepEqual(m.To, []string{"lisa@example.com"}) ||
		m.Subject != "Vehicle maintenance reminder" {
		t.Errorf("mail header %q %v %q", m.From, m.To, m.Subject)
	}
	for _, want := range []string{
		"Dear Lisa de Vries,",
		"- 2024-05-01 08:00-10:00: APK (vehicle with licence number AB-123-C)\n",
		"- 2024-05-01 13:00-15:00: Replace front brake pads (vehicle with licence number XY-99-Z)\n",
	} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("body lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Index(m.Text, "AB-123-C") > strings.Index(m.Text, "XY-99-Z") {
		t.Errorf("jobs not listed by start time:\n%s", m.Text)
	}
	if r.Mail().Text != m.Text {
		t.Error("the mail is not stable")
	}
}

func TestReminderMessageID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		customerID string
		seq        int
		want       string
	}{
		{"0d6b8f4e-7a0e-4c5a-9a53-3f5e0c9b8a11", 1, "reminder.0d6b8f4e-7a0e-4c5a-9a53-3f5e0c9b8a11.2024-05-01@pitstop.example"},
		{"c_1", 2, "reminder.c_1.2024-05-01.2@pitstop.example"},
		{"a b", 1, ""},
		{"<evil>@x", 1, ""},
		{"ñ", 3, ""},
		{strings.Repeat("a", 65), 1, ""},
	} {
		c := customer(t, tc.customerID)
		r, err := domain.NewReminder(c, date(t, "2024-05-01"), tc.seq, []domain.Job{job(t, "j", tc.customerID, "2024-05-01", 8, "", "")})
		if err != nil {
			t.Fatal(err)
		}
		id := r.MessageID()
		if tc.want != "" && id != tc.want {
			t.Errorf("MessageID of %q = %q, want %q", tc.customerID, id, tc.want)
		}
		// Whatever the customer id, the result is a valid msg-id.
		if _, err := mail.ParseAddress("<" + id + ">"); err != nil {
			t.Errorf("MessageID of %q = %q is not a valid addr-spec: %v", tc.customerID, id, err)
		}
		other := customer(t, tc.customerID+"x")
		r2, _ := domain.NewReminder(other, date(t, "2024-05-01"), tc.seq, []domain.Job{job(t, "j", tc.customerID+"x", "2024-05-01", 8, "", "")})
		if r2.MessageID() == id {
			t.Errorf("customers %q and %q share Message-ID %q", tc.customerID, tc.customerID+"x", id)
		}
	}
}
