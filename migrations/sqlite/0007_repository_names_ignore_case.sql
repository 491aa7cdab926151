-- Repository names that differ only in case name the same repository (as in Nexus): one
-- repository per lower-cased name, and lookups by lower(name) use this index. Start-up refuses
-- a catalogue that already holds such a pair before this runs (see catalogue::check_names).
CREATE UNIQUE INDEX repositories_name_folded ON repositories (lower(name));
