CREATE TABLE prices (id INTEGER NOT NULL PRIMARY KEY, amount INTEGER NOT NULL, currency VARCHAR(3) NOT NULL DEFAULT 'EUR');
INSERT INTO prices (id, amount, currency) VALUES (1, 100, 'EUR');
INSERT INTO prices (id, amount, currency) VALUES (2, 0, 'USD');
