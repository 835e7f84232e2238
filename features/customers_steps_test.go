package features

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/cucumber/godog"
	"github.com/google/uuid"
)

func init() { stepRegistrars = append(stepRegistrars, customerSteps) }

type customer struct {
	CustomerID      string `json:"customerId,omitempty"`
	Name            string `json:"name"`
	Address         string `json:"address"`
	PostalCode      string `json:"postalCode"`
	City            string `json:"city"`
	TelephoneNumber string `json:"telephoneNumber"`
	EmailAddress    string `json:"emailAddress"`
}

func sampleCustomer(name string) customer {
	return customer{Name: name, Address: "1 Garage Lane", PostalCode: "1000 AA", City: "Amsterdam",
		TelephoneNumber: "+31 20 123 4567", EmailAddress: "customer@example.com"}
}

func customerSteps(sc *godog.ScenarioContext, w *world) {
	var answers []customer
	register := func(c customer) error {
		if err := w.call(http.MethodPost, "customers", "/api/customers", c); err != nil {
			return err
		}
		if w.status == http.StatusCreated || w.status == http.StatusOK {
			var got customer
			if err := w.decode(&got); err != nil {
				return err
			}
			w.ids[c.Name] = got.CustomerID
			answers = append(answers, got)
		}
		return nil
	}
	registered := func(name string) error {
		if err := register(sampleCustomer(name)); err != nil {
			return err
		}
		return w.expectStatus(http.StatusCreated)
	}
	registeredWithID := func(name string) error {
		c := sampleCustomer(name)
		c.CustomerID = uuid.NewString()
		if err := register(c); err != nil {
			return err
		}
		return w.expectStatus(http.StatusCreated)
	}
	named := func(name string) ([]customer, error) {
		var all []customer
		cursor := ""
		for {
			if err := w.call(http.MethodGet, "customers", "/api/customers?limit=200&cursor="+url.QueryEscape(cursor), nil); err != nil {
				return nil, err
			}
			var page struct {
				Items []customer `json:"items"`
				Next  string     `json:"next"`
			}
			if err := w.decode(&page); err != nil {
				return nil, err
			}
			for _, c := range page.Items {
				if c.Name == name {
					all = append(all, c)
				}
			}
			if page.Next == "" {
				return all, nil
			}
			cursor = page.Next
		}
	}
	lookUp := func(name string) (customer, error) {
		id, ok := w.ids[name]
		if !ok {
			return customer{}, fmt.Errorf("the scenario never registered %q", name)
		}
		if err := w.call(http.MethodGet, "customers", "/api/customers/"+id, nil); err != nil {
			return customer{}, err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return customer{}, err
		}
		var c customer
		return c, w.decode(&c)
	}

	sc.Step(`^the front desk registers "([^"]*)" living at "([^"]*)", "([^"]*)" "([^"]*)" with phone "([^"]*)" and e-mail "([^"]*)"$`,
		func(name, address, postal, city, phone, mail string) error {
			return register(customer{Name: name, Address: address, PostalCode: postal, City: city, TelephoneNumber: phone, EmailAddress: mail})
		})
	sc.Step(`^the front desk registers a customer with only the name "([^"]*)"$`, func(name string) error {
		return register(customer{Name: name})
	})
	sc.Step(`^the front desk sends a registration that is not valid JSON$`, func() error {
		return w.call(http.MethodPost, "customers", "/api/customers", `{"name": "Broken",`)
	})
	sc.Step(`^"([^"]*)" is a registered customer$`, registered)
	sc.Step(`^"([^"]*)" is registered with a customer number chosen by the front desk$`, registeredWithID)
	sc.Step(`^the front desk registers "([^"]*)" with a customer number chosen by the front desk$`, registeredWithID)
	sc.Step(`^the front desk sends the same registration again$`, func() error {
		if len(answers) == 0 {
			return fmt.Errorf("nothing was registered before")
		}
		return register(answers[len(answers)-1])
	})
	sc.Step(`^the front desk registers "([^"]*)" with the customer number of "([^"]*)"$`, func(name, other string) error {
		c := sampleCustomer(name)
		c.CustomerID = w.ids[other]
		return register(c)
	})
	sc.Step(`^the registration is accepted$`, func() error { return w.expectStatus(http.StatusCreated) })
	sc.Step(`^the registration is refused as a bad request$`, func() error { return w.expectStatus(http.StatusBadRequest) })
	sc.Step(`^the registration is refused as a conflict$`, func() error { return w.expectStatus(http.StatusConflict) })
	sc.Step(`^the registration is refused because the field "([^"]*)" is invalid$`, func(field string) error {
		return refusedFor(w, []string{field})
	})
	sc.Step(`^the registration is refused listing the fields$`, func(table *godog.Table) error {
		var fields []string
		for _, row := range table.Rows {
			fields = append(fields, row.Cells[0].Value)
		}
		return refusedFor(w, fields)
	})
	sc.Step(`^"([^"]*)" can be looked up with e-mail "([^"]*)"$`, func(name, mail string) error {
		c, err := lookUp(name)
		if err != nil {
			return err
		}
		if c.Name != name || c.EmailAddress != mail {
			return fmt.Errorf("looked up %+v", c)
		}
		return nil
	})
	sc.Step(`^there is no customer named "([^"]*)"$`, func(name string) error {
		found, err := named(name)
		if err != nil {
			return err
		}
		if len(found) != 0 {
			return fmt.Errorf("found %d customers named %q", len(found), name)
		}
		return nil
	})
	sc.Step(`^there is exactly one customer named "([^"]*)"$`, func(name string) error {
		found, err := named(name)
		if err != nil {
			return err
		}
		if len(found) != 1 {
			return fmt.Errorf("found %d customers named %q", len(found), name)
		}
		return nil
	})
	sc.Step(`^the front desk changes the address of "([^"]*)" to "([^"]*)", "([^"]*)" "([^"]*)"$`, func(name, address, postal, city string) error {
		c, err := lookUp(name)
		if err != nil {
			return err
		}
		c.Address, c.PostalCode, c.City = address, postal, city
		if err := w.call(http.MethodPut, "customers", "/api/customers/"+c.CustomerID, c); err != nil {
			return err
		}
		return w.expectStatus(http.StatusOK)
	})
	sc.Step(`^the front desk changes the address of a customer that does not exist$`, func() error {
		c := sampleCustomer("Nobody")
		return w.call(http.MethodPut, "customers", "/api/customers/"+uuid.NewString(), c)
	})
	sc.Step(`^the change is refused because the customer is unknown$`, func() error { return w.expectStatus(http.StatusNotFound) })
	sc.Step(`^"([^"]*)" lives at "([^"]*)" in "([^"]*)"$`, func(name, address, city string) error {
		c, err := lookUp(name)
		if err != nil {
			return err
		}
		if c.Address != address || c.City != city {
			return fmt.Errorf("%s lives at %s in %s", name, c.Address, c.City)
		}
		return nil
	})
	sc.Step(`^both answers are about the same customer$`, func() error {
		if len(answers) != 2 || answers[0] != answers[1] {
			return fmt.Errorf("answers %+v", answers)
		}
		return nil
	})
	sc.Step(`^the audit log shows the (Customer\w+) event for "([^"]*)"$`, func(typ, name string) error {
		return w.auditShows("customers."+typ, w.ids[name], 1)
	})
	sc.Step(`^the audit log shows exactly (\d+) (Customer\w+) events? for "([^"]*)"$`, func(n int, typ, name string) error {
		return w.auditShows("customers."+typ, w.ids[name], n)
	})
}

// refusedFor checks the last answer is a 400 problem naming exactly these fields.
func refusedFor(w *world, fields []string) error {
	if err := w.expectStatus(http.StatusBadRequest); err != nil {
		return err
	}
	var p problem
	if err := w.decode(&p); err != nil {
		return err
	}
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Field)
	}
	slices.Sort(got)
	want := slices.Clone(fields)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("refused fields %v, want %v (%s)", got, want, w.body)
	}
	return nil
}
