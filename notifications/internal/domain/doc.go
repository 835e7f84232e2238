// Package domain is the notifications context's model: the customers' contact data
// (Customer), the maintenance jobs to remind (Job), and the Reminder that tells one
// customer about all of their jobs of one business day, with the e-mail that carries
// it (Mail). Constructors validate; the package imports no adapter.
package domain
