-- Environments: one row per branch of an owner's floxmeta repository, created by the first
-- accepted push and touched by every later one. Git holds the generations; this table holds what
-- git cannot: who may read (visibility) and when the environment appeared and last changed.
-- Portable SQL (SQLite and PostgreSQL); times are epoch milliseconds.
CREATE TABLE environments (
    owner       VARCHAR(39)  NOT NULL REFERENCES owners (name),
    name        VARCHAR(100) NOT NULL,
    visibility  VARCHAR(8)   NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
    created_at  BIGINT       NOT NULL,
    updated_at  BIGINT       NOT NULL,
    PRIMARY KEY (owner, name)
);
