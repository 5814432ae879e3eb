-- Activation reports from nodes: which generation of which environment a container was started
-- with. One row per container (node, namespace, pod, container): a newer report for the same
-- container replaces the older one, so the table answers "what runs where now" directly.
-- Portable SQL (SQLite and PostgreSQL); times are epoch milliseconds.
CREATE TABLE activations (
    node         VARCHAR(253) NOT NULL,
    namespace    VARCHAR(253) NOT NULL,
    pod          VARCHAR(253) NOT NULL,
    container    VARCHAR(253) NOT NULL,
    owner        VARCHAR(39)  NOT NULL,
    name         VARCHAR(100) NOT NULL,
    generation   INTEGER      NOT NULL,
    mode         VARCHAR(8)   NOT NULL CHECK (mode IN ('run', 'dev')),
    activated_at BIGINT       NOT NULL,
    received_at  BIGINT       NOT NULL,
    reporter     VARCHAR(100) NOT NULL,
    PRIMARY KEY (node, namespace, pod, container),
    FOREIGN KEY (owner, name) REFERENCES environments (owner, name) ON DELETE CASCADE
);
CREATE INDEX activations_by_environment ON activations (owner, name, activated_at);
