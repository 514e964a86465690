CREATE TABLE keep_me (id INTEGER NOT NULL PRIMARY KEY);
CREATE TABLE legacy_sessions (id INTEGER NOT NULL PRIMARY KEY, token VARCHAR(64) NOT NULL);
CREATE INDEX legacy_sessions_token_idx ON legacy_sessions (token);
CREATE TABLE legacy_users (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50));
CREATE TABLE audit_log (id INTEGER NOT NULL PRIMARY KEY, user_id INTEGER, message VARCHAR(100), CONSTRAINT audit_log_user_id_fkey FOREIGN KEY (user_id) REFERENCES legacy_users (id));
INSERT INTO legacy_sessions (id, token) VALUES (1, 'abc');
INSERT INTO legacy_users (id, name) VALUES (1, 'ann');
INSERT INTO audit_log (id, user_id, message) VALUES (1, 1, 'login');
INSERT INTO keep_me (id) VALUES (1);
