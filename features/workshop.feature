@workshop
Feature: Planning the workshop's maintenance jobs
  The planner keeps one planning per day: which car comes in, when, for what, and for
  which customer. The workshop has 3 workstations, a car can be worked on by one
  mechanic at a time, and a job starts and ends on the day it is planned. When a job is
  done the mechanic records when the work really started and ended and what was done.
  The workshop keeps its own copy of the customers and vehicles the front desk
  registers, so the planner can keep working when the front desk's systems are down.

  Scenario: A job is planned for today
    Given the planner works on today's planning
    When the planner plans "Oil change" for vehicle "TD-01-AA" from 06:00 to 07:00
    Then the job is accepted
    And the planning shows "Oil change" for vehicle "TD-01-AA" from 06:00 to 07:00 as Planned

  Scenario: A job is planned on a day that has no planning yet
    Given the planner works on the planning of a day far in the future
    And there is no planning for that day
    When the planner plans "Yearly service" for vehicle "FD-01-AA" from 08:00 to 12:00
    Then the job is accepted
    And the planning shows "Yearly service" for vehicle "FD-01-AA" from 08:00 to 12:00 as Planned
    And the planning holds 1 job

  Scenario: At most 3 jobs run at the same time
    Given the planner works on the planning of a day far in the future
    And the planner has planned
      | description | vehicle  | from  | to    |
      | Oil change  | OV-01-AA | 08:00 | 12:00 |
      | Brake pads  | OV-02-BB | 09:00 | 11:00 |
      | New tyres   | OV-03-CC | 08:30 | 10:30 |
    When the planner plans "Wiper blades" for vehicle "OV-04-DD" from 09:30 to 10:00
    Then the planner is told "Maintenance job overlaps with more than 3 other jobs"
    And the planning holds 3 jobs

  Scenario: A workstation is free again the moment its job ends
    Given the planner works on the planning of a day far in the future
    And the planner has planned
      | description | vehicle  | from  | to    |
      | Oil change  | TC-01-AA | 08:00 | 10:00 |
      | Brake pads  | TC-02-BB | 09:00 | 12:00 |
      | New tyres   | TC-03-CC | 09:00 | 12:00 |
    When the planner plans "Wiper blades" for vehicle "TC-04-DD" from 10:00 to 11:00
    Then the job is accepted
    And the planning shows "Wiper blades" for vehicle "TC-04-DD" from 10:00 to 11:00 as Planned
    And the planning holds 4 jobs

  Scenario: A car cannot be in two jobs at the same time
    Given the planner works on the planning of a day far in the future
    And the planner has planned "Oil change" for vehicle "VB-01-AA" from 08:00 to 10:00
    When the planner plans "Brake pads" for vehicle "VB-01-AA" from 09:00 to 11:00
    Then the planner is told "Only 1 maintenance job can be executed on a vehicle during a certain time-slot."
    And the planning holds 1 job

  Scenario: A job must end after it starts
    Given the planner works on the planning of a day far in the future
    When the planner plans "Oil change" for vehicle "EB-01-AA" from 10:00 to 09:00
    Then the planner is told that the end time must be after the start time
    And there is no planning for that day

  Scenario: A job cannot run into the next day
    Given the planner works on the planning of a day far in the future
    When the planner plans "Engine overhaul" for vehicle "ND-01-AA" from 22:00 to 02:00 the next day
    Then the planner is told that the job must start and end on the planning's day
    And there is no planning for that day

  Scenario: Planning the same job twice plans it once
    Given the planner works on the planning of a day far in the future
    When the planner plans "Oil change" for vehicle "RT-01-AA" from 08:00 to 09:00 under a job number of their own
    And the planner sends the same job again
    Then the job is accepted the first time and confirmed the second time
    And the planning holds 1 job
    And the audit log shows 1 MaintenanceJobPlanned event for that day

  Scenario: A mechanic finishes a job
    Given the planner works on the planning of a day far in the future
    And the planner has planned "Brake pads" for vehicle "FN-01-AA" from 08:00 to 10:00
    When the mechanic finishes the job on vehicle "FN-01-AA", having worked from 08:10 to 09:55, noting "Replaced front brake pads"
    Then the finish is accepted
    And the job on vehicle "FN-01-AA" is Completed, worked from 08:10 to 09:55, noting "Replaced front brake pads"

  Scenario: A finished job cannot be finished again
    Given the planner works on the planning of a day far in the future
    And the planner has planned "Brake pads" for vehicle "FT-01-AA" from 08:00 to 10:00
    And the mechanic has finished the job on vehicle "FT-01-AA", having worked from 08:05 to 09:45, noting "Replaced front brake pads"
    When the mechanic finishes the job on vehicle "FT-01-AA", having worked from 08:00 to 10:00, noting "Replaced rear brake pads"
    Then the mechanic is told "An already finished job can not be finished."
    And the job on vehicle "FT-01-AA" is Completed, worked from 08:05 to 09:45, noting "Replaced front brake pads"

  Scenario: A job that was never planned cannot be finished
    Given the planner works on the planning of a day far in the future
    And the planner has planned "Brake pads" for vehicle "FU-01-AA" from 08:00 to 10:00
    When the mechanic finishes a job that was never planned
    Then the mechanic is told that the job is unknown

  Scenario: The workshop learns the customers and vehicles the front desk registers
    Given "Kim Refdata" is a registered customer
    And "Kim Refdata" has a registered "Toyota" "Yaris" with licence number "RD-01-KM"
    Then the workshop soon knows customer "Kim Refdata"
    And the workshop soon knows vehicle "RD-01-KM" as a "Toyota" "Yaris" owned by "Kim Refdata"

  Scenario: The workshop learns that a car was sold
    Given "Max Seller" is a registered customer
    And "Noor Buyer" is a registered customer
    And "Max Seller" has a registered "Skoda" "Fabia" with licence number "RD-02-MS"
    And the workshop soon knows vehicle "RD-02-MS" as a "Skoda" "Fabia" owned by "Max Seller"
    When the front desk records that vehicle "RD-02-MS" is a "Skoda" "Octavia" owned by "Noor Buyer"
    Then the workshop soon knows vehicle "RD-02-MS" as a "Skoda" "Octavia" owned by "Noor Buyer"

  Scenario: The planner plans with the workshop's own customer and vehicle data
    Given "Lea Planner" is a registered customer
    And "Lea Planner" has a registered "Ford" "Focus" with licence number "RD-03-LP"
    And the workshop soon knows vehicle "RD-03-LP" as a "Ford" "Focus" owned by "Lea Planner"
    And the planner works on the planning of a day far in the future
    When the planner plans "Yearly service" for vehicle "RD-03-LP" from 13:00 to 15:00 with the details the workshop knows
    Then the job is accepted
    And the planning shows "Yearly service" for vehicle "RD-03-LP" from 13:00 to 15:00 as Planned
    And the job on vehicle "RD-03-LP" is for "Lea Planner", a "Ford" "Focus"

  Scenario: Everything that happens to a day's planning is in the audit log
    Given the planner works on the planning of a day far in the future
    And the planner has planned "Oil change" for vehicle "AU-01-AA" from 08:00 to 10:00
    And the mechanic has finished the job on vehicle "AU-01-AA", having worked from 08:00 to 09:30, noting "Changed oil and filter"
    Then the audit log shows 1 WorkshopPlanningCreated event for that day
    And the audit log shows 1 MaintenanceJobPlanned event for that day
    And the audit log shows 1 MaintenanceJobFinished event for that day

  Scenario: A cancelled job is neither reminded nor invoiced
    Given "Cas Cancel" is a customer of the garage who drives "CN-01-AA", a "Fiat" "500"
    And "Dirk Kept" is a customer of the garage who drives "CN-02-AA", a "Fiat" "Tipo"
    And "Eva Billed" is a customer of the garage who drives "CN-03-AA", a "Fiat" "Doblo"
    And the planner has planned "Oil change" for vehicle "CN-01-AA" from 08:00 to 10:00 tomorrow
    And the planner has planned "Brake check" for vehicle "CN-02-AA" from 09:00 to 10:00 tomorrow
    And the mechanic has finished "New tyres" on vehicle "CN-03-AA" after 1 hour of work
    When the planner cancels the job on vehicle "CN-01-AA"
    Then the job on vehicle "CN-01-AA" shows as Cancelled in tomorrow's planning
    And the mechanic cannot finish the cancelled job on vehicle "CN-01-AA"
    When the next business day begins
    Then "Dirk Kept" receives 1 reminder e-mail
    And "Cas Cancel" receives no reminder
    And the print company receives 1 invoice e-mail for "Eva Billed"
    And there is no invoice for "Cas Cancel"

  Scenario: A job moved to another time is reminded at its new time
    Given "Tim Later" is a customer of the garage who drives "MV-01-AA", a "Audi" "A3"
    And the planner has planned "Yearly service" for vehicle "MV-01-AA" from 08:00 to 10:00 tomorrow
    When the planner moves the job on vehicle "MV-01-AA" to 14:00 to 16:00 tomorrow
    And the next business day begins
    Then "Tim Later" receives 1 reminder e-mail
    And the reminder e-mail to "Tim Later" lists "Yearly service" for vehicle "MV-01-AA" from 14:00 to 16:00

  Scenario: A job moved to another day is reminded on the new day only
    Given "Mo Mover" is a customer of the garage who drives "MV-02-AA", a "Audi" "A4"
    And "Stella Stay" is a customer of the garage who drives "MV-03-AA", a "Audi" "A6"
    And the planner has planned "Oil change" for vehicle "MV-02-AA" from 08:00 to 10:00 tomorrow
    And the planner has planned "Brake check" for vehicle "MV-03-AA" from 09:00 to 10:00 tomorrow
    When the planner moves the job on vehicle "MV-02-AA" to 13:00 to 15:00 the day after tomorrow
    Then the job on vehicle "MV-02-AA" shows as Moved in tomorrow's planning
    When the next business day begins
    Then "Stella Stay" receives 1 reminder e-mail
    And "Mo Mover" receives no reminder
    When the next business day begins
    Then "Mo Mover" receives 1 reminder e-mail
    And the reminder e-mail to "Mo Mover" lists "Oil change" for vehicle "MV-02-AA" from 13:00 to 15:00

  Scenario: A job cannot be moved into a slot where 3 jobs already run
    Given the planner works on the planning of a day far in the future
    And the planner has planned
      | description  | vehicle  | from  | to    |
      | Oil change   | MF-01-AA | 08:00 | 12:00 |
      | Brake pads   | MF-02-BB | 09:00 | 11:00 |
      | New tyres    | MF-03-CC | 08:30 | 10:30 |
      | Wiper blades | MF-04-DD | 13:00 | 14:00 |
    When the planner moves the job on vehicle "MF-04-DD" to 09:30 to 10:00 on that day
    Then the planner is told "Maintenance job overlaps with more than 3 other jobs"
    And the planning shows "Wiper blades" for vehicle "MF-04-DD" from 13:00 to 14:00 as Planned
