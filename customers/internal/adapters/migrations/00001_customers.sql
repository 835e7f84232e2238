-- +goose Up
-- Customers of the garage. position orders the list (keyset paging); customer_id is
-- the public id, chosen by the client or the service.
CREATE TABLE customers (
    customer_id      uuid        PRIMARY KEY,
    position         bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    name             text        NOT NULL,
    address          text        NOT NULL,
    postal_code      text        NOT NULL,
    city             text        NOT NULL,
    telephone_number text        NOT NULL,
    email_address    text        NOT NULL,
    registered_at    timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE customers;
