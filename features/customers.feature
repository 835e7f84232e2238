@customers
Feature: Registering the garage's customers
  The front desk registers every customer once, with the details the garage needs to
  contact them and to send invoices. Everything that happens is kept in the audit log.

  Scenario: A new customer is registered
    When the front desk registers "Ann Smith" living at "1 Main Street", "1234 AB" "Utrecht" with phone "+31 6 1234 5678" and e-mail "ann@example.com"
    Then the registration is accepted
    And "Ann Smith" can be looked up with e-mail "ann@example.com"
    And the audit log shows the CustomerRegistered event for "Ann Smith"

  Scenario: An invalid e-mail address is refused
    When the front desk registers "Bert Mailless" living at "2 Main Street", "1234 AB" "Utrecht" with phone "+31 6 1234 5678" and e-mail "not-an-address"
    Then the registration is refused because the field "emailAddress" is invalid
    And there is no customer named "Bert Mailless"

  Scenario: Missing details are all listed
    When the front desk registers a customer with only the name "Cora Incomplete"
    Then the registration is refused listing the fields
      | address         |
      | postalCode      |
      | city            |
      | telephoneNumber |
      | emailAddress    |
    And there is no customer named "Cora Incomplete"

  Scenario: A garbled request is refused
    When the front desk sends a registration that is not valid JSON
    Then the registration is refused as a bad request

  Scenario: A customer moves house
    Given "Dirk Mover" is a registered customer
    When the front desk changes the address of "Dirk Mover" to "9 New Road", "5678 CD" "Amsterdam"
    Then "Dirk Mover" lives at "9 New Road" in "Amsterdam"
    And the audit log shows the CustomerUpdated event for "Dirk Mover"

  Scenario: Changing an unknown customer is refused
    When the front desk changes the address of a customer that does not exist
    Then the change is refused because the customer is unknown

  Scenario: A retried registration does not create a second customer
    When the front desk registers "Eva Retry" with a customer number chosen by the front desk
    And the front desk sends the same registration again
    Then both answers are about the same customer
    And there is exactly one customer named "Eva Retry"
    And the audit log shows exactly 1 CustomerRegistered event for "Eva Retry"

  Scenario: A customer number cannot be reused for someone else
    Given "Fay First" is registered with a customer number chosen by the front desk
    When the front desk registers "Gus Second" with the customer number of "Fay First"
    Then the registration is refused as a conflict
    And there is no customer named "Gus Second"

  Scenario: The front desk finds customers by name and city
    Given "Xander Zoekmans" is a registered customer living in "Utrecht"
    And "Xenia Zoekmans" is a registered customer living in "Amersfoort"
    And "Yara Zoekmans" is a registered customer living in "Uden"
    And "Xavier Elders" is a registered customer living in "Utrecht"
    When the front desk searches the customers for "ZOEKMANS"
    Then the front desk finds, in this order
      | Xander Zoekmans |
      | Xenia Zoekmans  |
      | Yara Zoekmans   |
    When the front desk searches the customers for "zoekmans" in the cities starting with "u"
    Then the front desk finds, in this order
      | Xander Zoekmans |
      | Yara Zoekmans   |
    When the front desk searches the customers for "zoekmans", sorted by city descending
    Then the front desk finds, in this order
      | Xander Zoekmans |
      | Yara Zoekmans   |
      | Xenia Zoekmans  |

  Scenario: A change based on a stale copy does not overwrite a colleague's change
    Given "Stan Stale" is a registered customer
    And the front desk opens "Stan Stale"
    And a colleague opens "Stan Stale" and changes the address to "9 Colleague Road"
    When the front desk saves its copy of "Stan Stale" with the address "5 Stale Street"
    Then the change is refused because "Stan Stale" was changed meanwhile
    And "Stan Stale" lives at "9 Colleague Road" in "Amsterdam"
    When the front desk opens "Stan Stale"
    And the front desk saves its copy of "Stan Stale" with the address "5 Stale Street"
    Then the change is accepted
    And "Stan Stale" lives at "5 Stale Street" in "Amsterdam"
