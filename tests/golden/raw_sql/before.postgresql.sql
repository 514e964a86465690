CREATE TABLE products (id INTEGER NOT NULL PRIMARY KEY, product_name VARCHAR(80), "nameCanonical" VARCHAR(80));
INSERT INTO products (id, product_name, "nameCanonical") VALUES (1, 'Bolt', NULL);
INSERT INTO products (id, product_name, "nameCanonical") VALUES (2, 'Nut', 'nut');
