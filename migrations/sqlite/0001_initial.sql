-- Stowage catalogue, SQLite dialect. Times are milliseconds since the epoch; flags are 0/1;
-- JSON documents are TEXT. Keep in step with ../postgres/0001_initial.sql.

CREATE TABLE blob_stores (
    name        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    attributes  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE repositories (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    format      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    online      BIGINT NOT NULL,
    blob_store  TEXT NOT NULL REFERENCES blob_stores(name),
    attributes  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- One row per stored blob per blob store: the content-addressed bytes every asset points at.
CREATE TABLE blobs (
    blob_store  TEXT NOT NULL REFERENCES blob_stores(name),
    sha256      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (blob_store, sha256)
);

CREATE TABLE components (
    id             TEXT PRIMARY KEY,
    repository_id  TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    grp            TEXT NOT NULL,
    name           TEXT NOT NULL,
    version        TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    UNIQUE (repository_id, grp, name, version)
);

CREATE TABLE assets (
    id               TEXT PRIMARY KEY,
    repository_id    TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    component_id     TEXT REFERENCES components(id) ON DELETE CASCADE,
    path             TEXT NOT NULL,
    blob_store       TEXT NOT NULL,
    blob_sha256      TEXT NOT NULL,
    size             BIGINT NOT NULL,
    content_type     TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    last_modified    BIGINT NOT NULL,
    last_downloaded  BIGINT,
    uploader         TEXT,
    uploader_ip      TEXT,
    UNIQUE (repository_id, path),
    FOREIGN KEY (blob_store, blob_sha256) REFERENCES blobs(blob_store, sha256)
);
CREATE INDEX assets_component ON assets(component_id);
CREATE INDEX assets_blob ON assets(blob_store, blob_sha256);

CREATE TABLE users (
    user_id        TEXT PRIMARY KEY,
    first_name     TEXT NOT NULL,
    last_name      TEXT NOT NULL,
    email          TEXT NOT NULL,
    status         TEXT NOT NULL,
    roles          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
