CREATE TABLE products (id INTEGER NOT NULL PRIMARY KEY, product_name VARCHAR(80) NOT NULL, price INTEGER);
CREATE INDEX products_product_name_idx ON products (product_name);
INSERT INTO products (id, product_name, price) VALUES (1, 'bolt', 3);
INSERT INTO products (id, product_name, price) VALUES (2, 'nut', NULL);
