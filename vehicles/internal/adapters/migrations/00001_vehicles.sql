-- +goose Up
-- Vehicles the garage maintains. license_number is the id: validated and upper-cased
-- by the service (the CHECK repeats the rule so that no other writer can store a
-- spelling that a case-insensitive lookup would miss). position orders the list
-- (keyset paging).
CREATE TABLE vehicles (
    license_number text        PRIMARY KEY
        CHECK (license_number ~ '^([0-9]{1,3}|[A-Z]{1,3})-([0-9]{1,3}|[A-Z]{1,3})-([0-9]{1,3}|[A-Z]{1,3})$'),
    position       bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    brand          text        NOT NULL,
    type           text        NOT NULL,
    owner_id       uuid        NOT NULL,
    registered_at  timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Keyset paging of one owner's vehicles (?ownerId=).
CREATE INDEX vehicles_owner_position ON vehicles (owner_id, position);

-- +goose Down
DROP TABLE vehicles;
