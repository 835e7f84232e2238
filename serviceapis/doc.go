// Package serviceapis holds Pitstop's contracts: one Go package per publishing
// context with its event types and subjects (customerevents, vehicleevents,
// workshopevents, timekeeperevents, notificationevents, invoicingevents), plus the
// OpenAPI documents and the Postman collection. Producers and consumers share these
// types; consumers ignore fields they do not know, so contracts may grow.
package serviceapis
