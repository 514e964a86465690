CREATE TABLE products (id INTEGER NOT NULL PRIMARY KEY, sku VARCHAR(40) NOT NULL, `nameCanonical` TEXT);
CREATE INDEX products_name_canonical_idx ON products (`nameCanonical`(255));
INSERT INTO products (id, sku, `nameCanonical`) VALUES (1, 'B-1', 'bolt');
