package features

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/cucumber/godog"

	"github.com/pitstop/pitstop/shared-go/auth"
)

// The steps of this file sign the scenario in as a role (or out), and cover the front
// desk's searches and its protection against overwriting a colleague's change
// (signin.feature, customers.feature).

func init() { stepRegistrars = append(stepRegistrars, roleSteps) }

// roles maps the feature files' words for a role to the role.
var roles = map[string]auth.Role{
	"front desk":    auth.FrontDesk,
	"planner":       auth.Planner,
	"mechanic":      auth.Mechanic,
	"administrator": auth.Administrator,
}

func roleSteps(sc *godog.ScenarioContext, w *world) {
	var (
		etags  = map[string]string{} // the ETag of each customer as the scenario last read it, by name
		copies = map[string]customer{}
	)
	sc.Step(`^I am signed in as (?:a |an |the )?(front desk|planner|mechanic|administrator)$`, func(name string) error {
		w.signIn(roles[name])
		return nil
	})
	sc.Step(`^I am not signed in$`, func() error {
		w.signOut()
		return nil
	})
	sc.Step(`^I look up the customers$`, func() error {
		return w.call(http.MethodGet, "customers", "/api/customers", nil)
	})
	sc.Step(`^I am allowed$`, func() error { return w.expectStatus(http.StatusOK, http.StatusCreated) })
	sc.Step(`^I am refused because I am not signed in$`, func() error {
		if err := w.expectStatus(http.StatusUnauthorized); err != nil {
			return err
		}
		if ch := w.header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer") {
			return fmt.Errorf("the challenge is %q, want Bearer", ch)
		}
		return nil
	})
	sc.Step(`^I am refused because my role may not do that$`, func() error {
		if err := w.expectStatus(http.StatusForbidden); err != nil {
			return err
		}
		var p problem
		if err := w.decode(&p); err != nil {
			return err
		}
		if p.Status != http.StatusForbidden {
			return fmt.Errorf("the problem says status %d", p.Status)
		}
		return nil
	})

	// Searching customers.

	sc.Step(`^"([^"]*)" is a registered customer living in "([^"]*)"$`, func(name, city string) error {
		c := sampleCustomer(name)
		c.City = city
		if err := w.call(http.MethodPost, "customers", "/api/customers", c); err != nil {
			return err
		}
		if err := w.expectStatus(http.StatusCreated); err != nil {
			return err
		}
		var got customer
		if err := w.decode(&got); err != nil {
			return err
		}
		w.ids[name] = got.CustomerID
		return nil
	})
	search := func(q url.Values) ([]string, error) {
		if err := w.call(http.MethodGet, "customers", "/api/customers?"+q.Encode(), nil); err != nil {
			return nil, err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return nil, err
		}
		var page struct {
			Items []customer `json:"items"`
		}
		if err := w.decode(&page); err != nil {
			return nil, err
		}
		var names []string
		for _, c := range page.Items {
			names = append(names, c.Name)
		}
		return names, nil
	}
	var found []string
	sc.Step(`^the front desk searches the customers for "([^"]*)"$`, func(text string) (err error) {
		found, err = search(url.Values{"q": {text}, "sort": {"name"}})
		return err
	})
	sc.Step(`^the front desk searches the customers for "([^"]*)" in the cities starting with "([^"]*)"$`, func(text, city string) (err error) {
		found, err = search(url.Values{"q": {text}, "city": {city}, "sort": {"name"}})
		return err
	})
	sc.Step(`^the front desk searches the customers for "([^"]*)", sorted by (name|city) (ascending|descending)$`, func(text, by, dir string) (err error) {
		if dir == "descending" {
			by = "-" + by
		}
		found, err = search(url.Values{"q": {text}, "sort": {by}})
		return err
	})
	sc.Step(`^the front desk finds, in this order$`, func(table *godog.Table) error {
		var want []string
		for _, row := range table.Rows {
			want = append(want, row.Cells[0].Value)
		}
		if !slices.Equal(found, want) {
			return fmt.Errorf("found %q, want %q", found, want)
		}
		return nil
	})

	// Two people editing one customer.

	read := func(name string) error {
		id, ok := w.ids[name]
		if !ok {
			return fmt.Errorf("the scenario never registered %q", name)
		}
		if err := w.call(http.MethodGet, "customers", "/api/customers/"+id, nil); err != nil {
			return err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return err
		}
		var c customer
		if err := w.decode(&c); err != nil {
			return err
		}
		etag := w.header.Get("ETag")
		if etag == "" {
			return fmt.Errorf("the answer about %s has no ETag", name)
		}
		copies[name], etags[name] = c, etag
		return nil
	}
	save := func(name, address string) error {
		c, ok := copies[name]
		if !ok {
			return fmt.Errorf("the front desk never opened %q", name)
		}
		c.Address = address
		return w.callWith(http.MethodPut, "customers", "/api/customers/"+c.CustomerID, c, map[string]string{"If-Match": etags[name]})
	}
	sc.Step(`^the front desk opens "([^"]*)"$`, read)
	sc.Step(`^a colleague opens "([^"]*)" and changes the address to "([^"]*)"$`, func(name, address string) error {
		mine, myTag := copies[name], etags[name]
		if err := read(name); err != nil {
			return err
		}
		if err := save(name, address); err != nil {
			return err
		}
		if err := w.expectStatus(http.StatusOK); err != nil {
			return fmt.Errorf("the colleague's change: %w", err)
		}
		copies[name], etags[name] = mine, myTag
		return nil
	})
	sc.Step(`^the front desk saves its copy of "([^"]*)" with the address "([^"]*)"$`, save)
	sc.Step(`^the change is refused because "([^"]*)" was changed meanwhile$`, func(name string) error {
		if err := w.expectStatus(http.StatusPreconditionFailed); err != nil {
			return err
		}
		var p problem
		if err := w.decode(&p); err != nil {
			return err
		}
		if p.Status != http.StatusPreconditionFailed || p.Detail == "" {
			return fmt.Errorf("the problem %s does not explain the refusal", w.body)
		}
		return nil
	})
}
