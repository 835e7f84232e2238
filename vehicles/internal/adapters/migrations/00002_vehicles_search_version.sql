-- +goose Up
-- Optimistic concurrency: version is 1 at registration and grows by one with every
-- update that changes the vehicle, in the transaction that writes its event. The API
-- shows it as the vehicle's ETag and checks If-Match against it.
ALTER TABLE vehicles ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version > 0);

-- Keyset paging of ?sort=brand and -brand: brands compare lower-cased, position breaks
-- ties; a descending sort scans backwards. (?sort=licenseNumber pages on the primary
-- key.)
CREATE INDEX vehicles_brand_order ON vehicles (lower(brand), position);

-- ?q= is a substring match on the licence number (LIKE, the text normalised as
-- licence numbers are stored), the brand and the type (ILIKE), which no btree serves:
-- a trigram GIN index does. pg_trgm ships with Postgres (contrib) and is a trusted
-- extension, but a server may lack the contrib package or deny the privilege: then
-- the index is left out, the search still works (by a sequential scan) and a notice
-- says why. The extension goes into public, not into this schema, so that every
-- context of the database can use it and dropping one context's schema cannot take
-- it (and the other contexts' indexes) along. The advisory lock serialises contexts
-- that migrate at once (creating one extension twice at the same time fails on the
-- catalog's unique index).
-- +goose StatementBegin
DO $$
DECLARE
    trgm_schema name;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('pitstop-create-extension-pg_trgm'));
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
            RAISE NOTICE 'pg_trgm is not available: vehicles search (?q=) runs without its index';
            RETURN;
        END IF;
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'cannot create extension pg_trgm (%): vehicles search (?q=) runs without its index', SQLERRM;
            RETURN;
        END;
    END IF;
    SELECT n.nspname INTO trgm_schema
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    EXECUTE format('CREATE INDEX vehicles_search_trgm ON vehicles USING gin '
        '(license_number %1$I.gin_trgm_ops, brand %1$I.gin_trgm_ops, type %1$I.gin_trgm_ops)', trgm_schema);
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX IF EXISTS vehicles_search_trgm;
DROP INDEX vehicles_brand_order;
ALTER TABLE vehicles DROP COLUMN version;
