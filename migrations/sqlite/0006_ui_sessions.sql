-- Sign-ins to the admin UI. The cookie holds a random secret; only its sha256 is stored, with
-- the session's CSRF token. Shared by every node, so any node serves any signed-in browser.
CREATE TABLE ui_sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX ui_sessions_user ON ui_sessions(user_id);

-- The UI lists an image's tags page by page.
CREATE INDEX components_name ON components(repository_id, name, version);
