-- The package catalog: each owner's packages, their immutable versions, and per system the outputs
-- (store paths in the hub's binary cache). Portable SQL for SQLite and PostgreSQL; times are epoch
-- milliseconds. A package is written 'owner/name' in a manifest's pkg-path.

-- visibility: public (anyone reads) or private (members of the owner only); set per package.
CREATE TABLE catalog_packages (
    owner       VARCHAR(39)  NOT NULL REFERENCES owners (name),
    name        VARCHAR(100) NOT NULL,
    visibility  VARCHAR(8)   NOT NULL CHECK (visibility IN ('public', 'private')),
    created_at  BIGINT       NOT NULL,
    PRIMARY KEY (owner, name)
);

-- seq: 1, 2, … in publication order within the package (the lock's rev_count).
-- publisher: the principal's name (a user, or org/account of a service account).
CREATE TABLE catalog_versions (
    owner         VARCHAR(39)  NOT NULL,
    name          VARCHAR(100) NOT NULL,
    version       VARCHAR(100) NOT NULL,
    seq           INTEGER      NOT NULL,
    description   VARCHAR(2000),
    license       VARCHAR(200),
    unfree        BOOLEAN      NOT NULL,
    broken        BOOLEAN      NOT NULL,
    published_at  BIGINT       NOT NULL,
    publisher     VARCHAR(100) NOT NULL,
    PRIMARY KEY (owner, name, version),
    UNIQUE (owner, name, seq),
    FOREIGN KEY (owner, name) REFERENCES catalog_packages (owner, name)
);

-- outputs_to_install: output names joined by ',' (output names never contain one).
CREATE TABLE catalog_systems (
    owner               VARCHAR(39)  NOT NULL,
    name                VARCHAR(100) NOT NULL,
    version             VARCHAR(100) NOT NULL,
    system              VARCHAR(64)  NOT NULL,
    outputs_to_install  VARCHAR(1000) NOT NULL,
    PRIMARY KEY (owner, name, version, system),
    FOREIGN KEY (owner, name, version) REFERENCES catalog_versions (owner, name, version)
);

CREATE TABLE catalog_outputs (
    owner       VARCHAR(39)  NOT NULL,
    name        VARCHAR(100) NOT NULL,
    version     VARCHAR(100) NOT NULL,
    system      VARCHAR(64)  NOT NULL,
    output      VARCHAR(100) NOT NULL,
    store_path  VARCHAR(300) NOT NULL,
    PRIMARY KEY (owner, name, version, system, output),
    FOREIGN KEY (owner, name, version, system) REFERENCES catalog_systems (owner, name, version, system)
);
