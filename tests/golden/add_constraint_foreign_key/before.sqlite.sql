CREATE TABLE customers (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL);
CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, customer_id INTEGER, total INTEGER NOT NULL DEFAULT 0);
INSERT INTO customers (id, name) VALUES (1, 'ann');
INSERT INTO orders (id, customer_id, total) VALUES (10, 1, 5);
INSERT INTO orders (id, customer_id, total) VALUES (11, NULL, 7);
