-- Server-wide settings that every node must share, such as the key that signs docker tokens.
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
