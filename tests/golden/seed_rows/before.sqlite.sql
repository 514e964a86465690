CREATE TABLE settings ("key" VARCHAR(40) NOT NULL PRIMARY KEY, value TEXT, enabled BOOLEAN NOT NULL DEFAULT FALSE, weight NUMERIC(10,2), note VARCHAR(20) DEFAULT 'none');
INSERT INTO settings ("key", value, enabled, weight) VALUES ('theme', 'light', FALSE, 1.50);
INSERT INTO settings ("key", value, enabled, weight) VALUES ('page_size', '50', TRUE, 2);
INSERT INTO settings ("key", value, enabled, weight) VALUES ('legacy', 'x', FALSE, NULL)
