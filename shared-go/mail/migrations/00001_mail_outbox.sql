-- +goose Up
-- The mail outbox: a mail is queued in the same transaction as the business effect
-- that causes it and sent by the dispatcher after commit. Rows are kept after sending
-- (sent_at set) as the record of what was sent and when.
CREATE TABLE mail_outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The RFC 5322 Message-ID without angle brackets; one row per logical mail.
    message_id       text        NOT NULL UNIQUE,
    from_address     text        NOT NULL,
    to_addresses     text[]      NOT NULL,
    subject          text        NOT NULL,
    text_body        text        NOT NULL DEFAULT '',
    html_body        text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- When the mail server (or the file sender) accepted the mail; NULL while pending.
    sent_at          timestamptz,
    -- Failed delivery attempts so far, the latest failure, and when to try again.
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    -- A dispatcher sending the row holds it until then; an expired lease (a crashed
    -- dispatcher) makes the row claimable again.
    locked_until     timestamptz,
    CONSTRAINT mail_outbox_has_recipients CHECK (cardinality(to_addresses) > 0),
    CONSTRAINT mail_outbox_has_body CHECK (text_body <> '' OR html_body <> '')
);

-- Claiming due rows and counting pending ones only ever looks at unsent rows.
CREATE INDEX mail_outbox_unsent ON mail_outbox (next_attempt_at, id) WHERE sent_at IS NULL;

-- +goose Down
DROP TABLE mail_outbox;
