-- What an asset points at, by kind: a docker manifest's `subject` (for the referrers API), later
-- its blobs (for garbage collection). Rows go with their asset.
CREATE TABLE asset_refs (
    asset_id  TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    target    TEXT NOT NULL,
    PRIMARY KEY (asset_id, kind, target)
);
CREATE INDEX asset_refs_target ON asset_refs(kind, target);
