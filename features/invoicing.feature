@invoicing
Feature: Invoicing finished maintenance work
  When a new business day begins, the garage bills every customer for the work that was
  finished and not billed yet: one invoice per customer covering all of their finished
  jobs, at €18.50 per hour of actual work. The invoice goes as an HTML e-mail to the
  print company (invoices@prestoprint.example), which prints and posts it to the customer.
  Work that is planned but not finished is not billed. The garage can look up every
  invoice and see whether it was sent, and everything that happens is kept in the audit log.

  Scenario: Two hours of work are invoiced when the next business day begins
    Given "Ivo Invoice" is a customer of the garage living at "12 Harbour Road", "3011 AA" "Rotterdam", who drives "IV-01-AA", a "Renault" "Clio"
    And the mechanic has finished "Yearly service" on vehicle "IV-01-AA" after 2 hours of work
    When the next business day begins
    Then the print company receives 1 invoice e-mail for "Ivo Invoice"
    And the invoice e-mail for "Ivo Invoice" shows a total of €37.00
    And the invoice e-mail for "Ivo Invoice" shows the name and address of "Ivo Invoice"
    And the invoices show 1 invoice for "Ivo Invoice" of 3700 cents covering the finished jobs, dated the new business day
    And the invoice for "Ivo Invoice" is marked as sent
    And the audit log shows the InvoiceCreated event for "Ivo Invoice"

  Scenario: All finished jobs of one customer are on one invoice
    Given "Jan Twojobs" is a customer of the garage who drives "IV-02-AA", a "Peugeot" "208"
    And the mechanic has finished "Oil change" on vehicle "IV-02-AA" after 2 hours of work
    And the mechanic has finished "Wiper blades" on vehicle "IV-02-AA" after 1 hour of work
    When the next business day begins
    Then the print company receives 1 invoice e-mail for "Jan Twojobs"
    And the invoice e-mail for "Jan Twojobs" shows a total of €55.50
    And the invoices show 1 invoice for "Jan Twojobs" of 5550 cents covering the finished jobs, dated the new business day

  Scenario: Two customers get an invoice each
    Given "Kees First" is a customer of the garage who drives "IV-03-AA", a "Citroen" "C3"
    And "Lotte Second" is a customer of the garage who drives "IV-04-AA", a "Dacia" "Sandero"
    And the mechanic has finished "Brake pads" on vehicle "IV-03-AA" after 2 hours of work
    And the mechanic has finished "New tyres" on vehicle "IV-04-AA" after 1 hour of work
    When the next business day begins
    Then the print company receives 1 invoice e-mail for "Kees First"
    And the invoice e-mail for "Kees First" shows a total of €37.00
    And the print company receives 1 invoice e-mail for "Lotte Second"
    And the invoice e-mail for "Lotte Second" shows a total of €18.50
    And the invoices show 1 invoice for "Kees First" of 3700 cents covering the finished jobs, dated the new business day
    And the invoices show 1 invoice for "Lotte Second" of 1850 cents covering the finished jobs, dated the new business day

  Scenario: Work that is not finished is not invoiced
    Given "Mia Finished" is a customer of the garage who drives "IV-05-AA", a "Mini" "Cooper"
    And "Nick Waiting" is a customer of the garage who drives "IV-06-AA", a "Suzuki" "Swift"
    And the mechanic has finished "Oil change" on vehicle "IV-05-AA" after 2 hours of work
    And the planner has planned "Clutch repair" for vehicle "IV-06-AA", which is not finished yet
    When the next business day begins
    Then the print company receives 1 invoice e-mail for "Mia Finished"
    And there is no invoice for "Nick Waiting"

  Scenario: A customer's name is printed as text, never run as code
    Given "Eve <script>alert(1)</script> Hacker" is a customer of the garage who drives "IV-07-AA", a "Tesla" "Model 3"
    And the mechanic has finished "Software update" on vehicle "IV-07-AA" after 1 hour of work
    When the next business day begins
    Then the print company receives 1 invoice e-mail for "Eve <script>alert(1)</script> Hacker"
    And the invoice e-mail for "Eve <script>alert(1)</script> Hacker" shows the name "Eve <script>alert(1)</script> Hacker" as text, not as markup

  Scenario: Invoices wait while the mail server is down
    Given "Olga Patient" is a customer of the garage who drives "IV-08-AA", a "Nissan" "Micra"
    And the mechanic has finished "Exhaust repair" on vehicle "IV-08-AA" after 2 hours of work
    And the mail server is down
    When the next business day begins
    Then the invoices show 1 invoice for "Olga Patient" of 3700 cents covering the finished jobs, dated the new business day
    And the invoice for "Olga Patient" is not sent yet
    And the print company has received no invoice e-mail for "Olga Patient" yet
    When the mail server is back
    Then the print company receives 1 invoice e-mail for "Olga Patient"
    And the invoice for "Olga Patient" is marked as sent
