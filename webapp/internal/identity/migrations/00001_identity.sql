-- +goose Up
-- Staff accounts: people who sign in to the web app with a password. user_name is
-- stored lower-case; password_hash is a PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
CREATE TABLE staff (
    staff_id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_name            text        NOT NULL UNIQUE,
    display_name         text        NOT NULL,
    role                 text        NOT NULL CHECK (role IN ('frontdesk', 'planner', 'mechanic', 'administrator')),
    password_hash        text        NOT NULL,
    disabled             boolean     NOT NULL DEFAULT false,
    must_change_password boolean     NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);

-- API clients: programs that get bearer tokens from POST /api/token with their secret.
CREATE TABLE api_clients (
    client_id   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL UNIQUE,
    role        text        NOT NULL CHECK (role IN ('frontdesk', 'planner', 'mechanic', 'administrator')),
    secret_hash text        NOT NULL,
    disabled    boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Sessions of signed-in staff. The cookie holds a random 256-bit id; only its SHA-256
-- is stored, so a copy of this table signs nobody in.
CREATE TABLE sessions (
    id_hash    bytea       PRIMARY KEY,
    staff_id   bigint      NOT NULL REFERENCES staff ON DELETE CASCADE,
    csrf_token text        NOT NULL,
    created_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_staff ON sessions (staff_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Failed sign-ins (pages and /api/token), for rate limiting: kind 'account' keyed by
-- the lower-case user name (or client:<name>), kind 'address' by the client address.
CREATE TABLE signin_failures (
    attempt_id bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text        NOT NULL CHECK (kind IN ('account', 'address')),
    key  text        NOT NULL,
    at   timestamptz NOT NULL
);
CREATE INDEX signin_failures_key ON signin_failures (kind, key, at);

-- +goose Down
DROP TABLE signin_failures;
DROP TABLE sessions;
DROP TABLE api_clients;
DROP TABLE staff;
