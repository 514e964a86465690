CREATE TABLE logs (id INTEGER NOT NULL PRIMARY KEY, level VARCHAR(10) NOT NULL, message VARCHAR(200));
CREATE INDEX logs_level_idx ON logs (level);
CREATE INDEX logs_message_idx ON logs (message);
INSERT INTO logs (id, level, message) VALUES (1, 'info', 'up');
