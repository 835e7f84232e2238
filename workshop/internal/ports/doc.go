// Package ports holds the workshop's driving ports: the chi HTTP handlers of the
// planning API and the reference-data API, and the JetStream event handler that keeps
// the reference-data read model. Every port translates errors to its protocol in one
// place (errorResponses for HTTP, the messaging.ErrPermanent wrapping for events).
package ports
