-- Docker blob upload sessions. They live in the catalogue (not in a process's memory) so a
-- chunked upload can continue on another node. `parts` is a JSON list of the temporary objects
-- holding the chunks received so far, in order; `size` is their total length.
CREATE TABLE upload_sessions (
    id             TEXT PRIMARY KEY,
    repository_id  TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    image          TEXT NOT NULL,
    blob_store     TEXT NOT NULL,
    parts          TEXT NOT NULL,
    size           BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
