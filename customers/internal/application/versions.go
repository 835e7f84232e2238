package application

import (
	"errors"

	"github.com/pitstop/pitstop/customers/internal/domain"
)

// VersionedCustomer is a stored customer with the version of its stored state. The
// version is 1 at registration and grows by one with every update that changes the
// customer (in the transaction that writes the update's event); the HTTP port shows
// it as the customer's ETag.
type VersionedCustomer struct {
	Customer domain.Customer
	Version  int64
}

// ErrStaleCustomer is returned by an update whose precondition does not hold: the
// customer was changed (by someone else) since the client read the version it named.
var ErrStaleCustomer = errors.New("the customer was changed by someone else since it was read")
