CREATE TABLE events (id INTEGER NOT NULL PRIMARY KEY, kind VARCHAR(40) NOT NULL, created_at TIMESTAMP NULL);
CREATE INDEX events_kind_idx ON events (kind);
INSERT INTO events (id, kind, created_at) VALUES (1, 'login', NULL);
