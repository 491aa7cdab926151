-- Security model: roles (users hold role ids), custom privileges (built-in ones are derived from
-- the repositories, not stored) and user tokens (only the sha256 of each secret).
CREATE TABLE roles (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    privileges   TEXT NOT NULL,
    roles        TEXT NOT NULL,
    read_only    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
INSERT INTO roles (id, name, description, privileges, roles, read_only, created_at) VALUES
    ('nx-admin', 'nx-admin', 'Administrator Role', '["nx-all"]', '[]', 1, 0),
    ('nx-anonymous', 'nx-anonymous', 'Anonymous Role',
     '["nx-healthcheck-read","nx-search-read","nx-repository-view-*-*-browse","nx-repository-view-*-*-read"]',
     '[]', 0, 0);

CREATE TABLE privileges (
    name         TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    description  TEXT NOT NULL,
    attributes   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE user_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,
    last_used   BIGINT,
    UNIQUE (user_id, name)
);
