-- Device-code login (RFC 8628): the CLI asks for a code pair, the user approves the user code in the
-- web UI, the CLI polls with the device code and receives a login token once. Both codes are kept
-- only as SHA-256 hex, so the table holds nothing a reader of the database could redeem.
-- Portable SQL (SQLite and PostgreSQL); times are epoch milliseconds.
CREATE TABLE device_codes (
    device_code_hash  CHAR(64)     PRIMARY KEY,
    user_code_hash    CHAR(64)     NOT NULL UNIQUE,
    client_name       VARCHAR(100) NOT NULL,
    created_at        BIGINT       NOT NULL,
    expires_at        BIGINT       NOT NULL,
    interval_ms       BIGINT       NOT NULL,
    last_polled_at    BIGINT,
    approved_by       VARCHAR(39)  REFERENCES users (name),
    approved_at       BIGINT,
    denied_at         BIGINT,
    redeemed_at       BIGINT
);
CREATE INDEX device_codes_by_expiry ON device_codes (expires_at);
