@vehicles
Feature: Registering the vehicles the garage maintains
  The front desk registers every car the garage works on once, by its licence number,
  together with its make, its model and the customer who owns it. Everything that
  happens is kept in the audit log.

  Scenario: A customer's car is registered
    Given "Hank Owner" is a registered customer
    When the front desk registers the "Volkswagen" "Golf" with licence number "HO-12-AB" for "Hank Owner"
    Then the registration is accepted
    And vehicle "HO-12-AB" is a "Volkswagen" "Golf" owned by "Hank Owner"
    And "Hank Owner" owns 1 vehicle
    And the audit log shows the VehicleRegistered event for vehicle "HO-12-AB"

  Scenario: Licence numbers are kept in capitals, however they are typed
    Given "Iris Lowercase" is a registered customer
    When the front desk registers the "Fiat" "Panda" with licence number "il-34-cd" for "Iris Lowercase"
    Then the registration is accepted
    And vehicle "IL-34-CD" is a "Fiat" "Panda" owned by "Iris Lowercase"
    And vehicle "il-34-cd" is a "Fiat" "Panda" owned by "Iris Lowercase"

  Scenario: A licence number that is not a licence number is refused
    Given "Jan Badplate" is a registered customer
    When the front desk registers the "Opel" "Astra" with licence number "AB-1234-C" for "Jan Badplate"
    Then the registration is refused because the field "licenseNumber" is invalid
    And "Jan Badplate" owns 0 vehicles

  Scenario: Missing vehicle details are all listed
    When the front desk registers a vehicle with only the licence number "MD-56-EF"
    Then the registration is refused listing the fields
      | brand   |
      | type    |
      | ownerId |
    And vehicle "MD-56-EF" is unknown

  Scenario: A retried registration does not create a second vehicle
    Given "Kees Retry" is a registered customer
    When the front desk registers the "Toyota" "Corolla" with licence number "KR-78-GH" for "Kees Retry"
    And the front desk sends the same vehicle registration again
    Then both answers are about the same vehicle
    And "Kees Retry" owns 1 vehicle
    And the audit log shows exactly 1 VehicleRegistered event for vehicle "KR-78-GH"

  Scenario: A licence number cannot be registered for another car
    Given "Lot First" is a registered customer
    And "Lot First" has a registered "Renault" "Clio" with licence number "LF-90-IJ"
    When the front desk registers the "Peugeot" "208" with licence number "LF-90-IJ" for "Lot First"
    Then the registration is refused as a conflict
    And vehicle "LF-90-IJ" is a "Renault" "Clio" owned by "Lot First"

  Scenario: A car is sold to another customer and its details are corrected
    Given "Mia Seller" is a registered customer
    And "Nils Buyer" is a registered customer
    And "Mia Seller" has a registered "Opel" "Astra" with licence number "MS-11-KL"
    When the front desk records that vehicle "MS-11-KL" is a "Opel" "Corsa" owned by "Nils Buyer"
    Then the change is accepted
    And vehicle "MS-11-KL" is a "Opel" "Corsa" owned by "Nils Buyer"
    And "Nils Buyer" owns 1 vehicle
    And "Mia Seller" owns 0 vehicles
    And the audit log shows the VehicleUpdated event for vehicle "MS-11-KL"

  Scenario: An unknown licence number is not found
    When the front desk looks up vehicle "ZZ-99-ZZ"
    Then the vehicle is unknown

  Scenario: Changing an unknown vehicle is refused
    Given "Olga Nocar" is a registered customer
    When the front desk records that vehicle "ZZ-98-ZZ" is a "Opel" "Corsa" owned by "Olga Nocar"
    Then the vehicle is unknown
    And "Olga Nocar" owns 0 vehicles
