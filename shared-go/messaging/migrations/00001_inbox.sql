-- +goose Up
-- Event ids a consumer has processed, written in the same transaction as the effect.
CREATE TABLE inbox (
    consumer      text        NOT NULL,
    event_id      uuid        NOT NULL,
    event_type    text        NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Messages a consumer gave up on, kept whole with the reason.
CREATE TABLE consumer_dead_letter (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer      text        NOT NULL,
    event_id      text        NOT NULL,
    subject       text        NOT NULL,
    headers       jsonb       NOT NULL,
    data          bytea       NOT NULL,
    deliveries    integer     NOT NULL,
    stream_seq    bigint      NOT NULL,
    reason        text        NOT NULL,
    failed_at     timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE consumer_dead_letter;
DROP TABLE inbox;
