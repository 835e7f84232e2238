@notifications
Feature: Reminding customers of their maintenance appointments
  When a new business day begins, every customer who has cars planned in for that day
  gets one e-mail from the garage that lists each of those jobs: the day, the time, what
  will be done and the licence number. A job that is already done is not reminded. If
  the mail server is down when the day begins, the reminders go out as soon as it is back.
  The garage can look up every reminder and see whether it was sent, and everything that
  happens is kept in the audit log, which says a reminder was sent only once its e-mail
  has actually left, never while it is still waiting for the mail server.

  Scenario: A customer is reminded of tomorrow's job
    Given "Nina Reminder" is a customer of the garage who drives "NR-01-AA", a "Toyota" "Yaris"
    And the planner has planned "Oil change" for vehicle "NR-01-AA" from 08:00 to 10:00 tomorrow
    When the next business day begins
    Then "Nina Reminder" receives 1 reminder e-mail
    And the reminder e-mail to "Nina Reminder" lists "Oil change" for vehicle "NR-01-AA" from 08:00 to 10:00
    And the reminders show that "Nina Reminder" was reminded of 1 job for the new business day and that the e-mail was sent
    And the audit log shows the MaintenanceReminderSent event for "Nina Reminder"

  Scenario: A customer without jobs that day gets no reminder
    Given "Otto Nojobs" is a customer of the garage who drives "NR-02-AA", a "Opel" "Corsa"
    And "Paula Booked" is a customer of the garage who drives "NR-03-AA", a "Fiat" "Panda"
    And the planner has planned "Brake check" for vehicle "NR-03-AA" from 09:00 to 10:00 tomorrow
    When the next business day begins
    Then "Paula Booked" receives 1 reminder e-mail
    And "Otto Nojobs" receives no reminder

  Scenario: Two jobs of one customer are reminded in one e-mail
    Given "Quinn Twocars" is a customer of the garage who drives "NR-04-AA", a "Volvo" "V60"
    And "Quinn Twocars" also drives "NR-05-AA", a "Volvo" "XC40"
    And the planner has planned for tomorrow
      | description | vehicle  | from  | to    |
      | Oil change  | NR-04-AA | 08:00 | 09:00 |
      | New tyres   | NR-05-AA | 13:00 | 14:30 |
    When the next business day begins
    Then "Quinn Twocars" receives 1 reminder e-mail
    And the reminder e-mail to "Quinn Twocars" lists "Oil change" for vehicle "NR-04-AA" from 08:00 to 09:00
    And the reminder e-mail to "Quinn Twocars" lists "New tyres" for vehicle "NR-05-AA" from 13:00 to 14:30
    And the reminders show that "Quinn Twocars" was reminded of 2 jobs for the new business day and that the e-mail was sent

  Scenario: Two customers each get their own reminder
    Given "Rob Early" is a customer of the garage who drives "NR-06-AA", a "Skoda" "Octavia"
    And "Sara Late" is a customer of the garage who drives "NR-07-AA", a "Seat" "Ibiza"
    And the planner has planned for tomorrow
      | description    | vehicle  | from  | to    |
      | Yearly service | NR-06-AA | 08:00 | 12:00 |
      | Airco refill   | NR-07-AA | 15:00 | 16:00 |
    When the next business day begins
    Then "Rob Early" receives 1 reminder e-mail
    And the reminder e-mail to "Rob Early" lists "Yearly service" for vehicle "NR-06-AA" from 08:00 to 12:00
    And the reminder e-mail to "Rob Early" does not mention vehicle "NR-07-AA"
    And "Sara Late" receives 1 reminder e-mail
    And the reminder e-mail to "Sara Late" lists "Airco refill" for vehicle "NR-07-AA" from 15:00 to 16:00
    And the reminder e-mail to "Sara Late" does not mention vehicle "NR-06-AA"

  Scenario: A job that is already finished is not reminded
    Given "Tess Twice" is a customer of the garage who drives "NR-08-AA", a "Mazda" "2"
    And "Tess Twice" also drives "NR-09-AA", a "Mazda" "CX-5"
    And "Uma Done" is a customer of the garage who drives "NR-10-AA", a "Kia" "Picanto"
    And the planner has planned for tomorrow
      | description  | vehicle  | from  | to    |
      | Oil change   | NR-08-AA | 08:00 | 09:00 |
      | Wiper blades | NR-09-AA | 10:00 | 11:00 |
      | Brake pads   | NR-10-AA | 08:00 | 10:00 |
    And the mechanic has already finished the job on vehicle "NR-08-AA"
    And the mechanic has already finished the job on vehicle "NR-10-AA"
    When the next business day begins
    Then "Tess Twice" receives 1 reminder e-mail
    And the reminder e-mail to "Tess Twice" lists "Wiper blades" for vehicle "NR-09-AA" from 10:00 to 11:00
    And the reminder e-mail to "Tess Twice" does not mention vehicle "NR-08-AA"
    And the reminders show that "Tess Twice" was reminded of 1 job for the new business day and that the e-mail was sent
    And "Uma Done" receives no reminder

  Scenario: Reminders wait while the mail server is down
    Given "Vera Patient" is a customer of the garage who drives "NR-11-AA", a "Honda" "Jazz"
    And the planner has planned "Timing belt" for vehicle "NR-11-AA" from 09:00 to 13:00 tomorrow
    And the mail server is down
    When the next business day begins
    Then the reminders show that "Vera Patient" was reminded of 1 job for the new business day but that the e-mail was not sent yet
    And "Vera Patient" has received no reminder e-mail yet
    And the audit log does not show a MaintenanceReminderSent event for "Vera Patient" while the e-mail waits
    When the mail server is back
    Then "Vera Patient" receives 1 reminder e-mail
    And the reminder e-mail to "Vera Patient" lists "Timing belt" for vehicle "NR-11-AA" from 09:00 to 13:00
    And the reminders show that "Vera Patient" was reminded of 1 job for the new business day and that the e-mail was sent
    And the audit log shows the MaintenanceReminderSent event for "Vera Patient"
