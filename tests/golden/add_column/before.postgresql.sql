CREATE TABLE owners (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL);
CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL);
INSERT INTO owners (id, name) VALUES (1, 'ann');
INSERT INTO items (id, name) VALUES (1, 'bolt');
INSERT INTO items (id, name) VALUES (2, 'nut');
