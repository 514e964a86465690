CREATE TABLE accounts (id INTEGER NOT NULL PRIMARY KEY, code VARCHAR(20) NOT NULL, hits INTEGER DEFAULT 0, status VARCHAR(10));
CREATE INDEX accounts_code_idx ON accounts (code);
INSERT INTO accounts (id, code, hits, status) VALUES (1, 'ACME-0001', 2147483647, 'open');
INSERT INTO accounts (id, code, hits, status) VALUES (2, 'it''s', NULL, 'closed');
