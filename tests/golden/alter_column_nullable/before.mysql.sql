CREATE TABLE people (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL DEFAULT 'anon', nick VARCHAR(50));
INSERT INTO people (id, name, nick) VALUES (1, 'ann', 'a');
INSERT INTO people (id, name, nick) VALUES (2, 'bob', 'b');
