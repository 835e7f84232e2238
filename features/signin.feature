@signin
Feature: Signing in and what each role may do
  Every API needs a bearer token: staff get one by signing in (the web app's
  /api/token). What a token allows depends on its role: the front desk registers
  customers and vehicles, the planner plans, cancels and moves jobs, the mechanic
  finishes them, and every role may read. The audit log names who did what.

  Scenario: A request without a token is refused
    Given I am not signed in
    When I look up the customers
    Then I am refused because I am not signed in

  Scenario: The front desk registers customers but cannot plan jobs
    Given I am signed in as the front desk
    When the front desk registers "Fenna Desk" living at "1 Main Street", "1000 AA" "Amsterdam" with phone "+31 20 555 0101" and e-mail "fenna.desk@example.com"
    Then the registration is accepted
    Given the planner works on the planning of a day far in the future
    When I plan "Oil change" for vehicle "RO-01-FD" from 08:00 to 09:00
    Then I am refused because my role may not do that
    And there is no planning for that day

  Scenario: A planner plans jobs but cannot finish them
    Given I am signed in as a planner
    And the planner works on the planning of a day far in the future
    When I plan "Oil change" for vehicle "RO-02-PL" from 08:00 to 09:00
    Then the job is accepted
    When I finish the job on vehicle "RO-02-PL", having worked from 08:00 to 09:00, noting "Changed the oil"
    Then I am refused because my role may not do that
    And the planning shows "Oil change" for vehicle "RO-02-PL" from 08:00 to 09:00 as Planned

  Scenario: A mechanic finishes jobs but cannot register customers
    Given the planner works on the planning of a day far in the future
    And I am signed in as a planner
    And the planner has planned "Brake pads" for vehicle "RO-03-ME" from 08:00 to 10:00
    And I am signed in as a mechanic
    When I finish the job on vehicle "RO-03-ME", having worked from 08:05 to 09:50, noting "Replaced the brake pads"
    Then the finish is accepted
    When the front desk registers "Mick Mechanic" living at "2 Main Street", "1000 AA" "Amsterdam" with phone "+31 20 555 0102" and e-mail "mick@example.com"
    Then I am refused because my role may not do that

  Scenario: The audit log names who planned and who finished a job
    Given the planner works on the planning of a day far in the future
    And I am signed in as a planner
    And the planner has planned "Oil change" for vehicle "RO-04-AU" from 08:00 to 09:00
    And I am signed in as a mechanic
    And the mechanic has finished the job on vehicle "RO-04-AU", having worked from 08:00 to 08:45, noting "Changed the oil"
    Then the audit log, asked for what "test-planner" did, shows 1 MaintenanceJobPlanned event for that day
    And the audit log, asked for what "test-planner" did, shows 0 MaintenanceJobFinished events for that day
    And the audit log, asked for what "test-mechanic" did, shows 1 MaintenanceJobFinished event for that day
    And the audit log, asked for what "test-mechanic" did, shows 0 MaintenanceJobPlanned events for that day
