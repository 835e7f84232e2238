-- +goose Up
-- Reference data kept from the customers and vehicles contexts' events. Each row keeps
-- the time and id of the event it came from; an upsert only wins over a row from an
-- older event, so redelivered or reordered events never move a row backwards. Keys use
-- the "C" collation so that keyset paging (key > cursor ORDER BY key) is byte-ordered.
CREATE TABLE customers (
    customer_id       text        COLLATE "C" PRIMARY KEY,
    name              text        NOT NULL,
    address           text        NOT NULL,
    postal_code       text        NOT NULL,
    city              text        NOT NULL,
    telephone_number  text        NOT NULL,
    email_address     text        NOT NULL,
    event_time        timestamptz NOT NULL,
    event_id          uuid        NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vehicles (
    license_number    text        COLLATE "C" PRIMARY KEY,
    brand             text        NOT NULL,
    type              text        NOT NULL,
    owner_id          text        NOT NULL,
    event_time        timestamptz NOT NULL,
    event_id          uuid        NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE vehicles;
DROP TABLE customers;
