CREATE TABLE settings (id INTEGER NOT NULL PRIMARY KEY, theme VARCHAR(20) DEFAULT 'light', retries INTEGER NOT NULL DEFAULT 3, label VARCHAR(40), enabled BOOLEAN);
INSERT INTO settings (id, theme, retries, label, enabled) VALUES (1, 'dark', 5, 'one', NULL);
