CREATE TABLE customers (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL, fax VARCHAR(30), region VARCHAR(20) DEFAULT 'eu', score INTEGER);
CREATE INDEX customers_region_idx ON customers (region);
CREATE INDEX customers_score_idx ON customers (score);
INSERT INTO customers (id, name, fax, region, score) VALUES (1, 'ann', '555', 'us', 10);
INSERT INTO customers (id, name, fax, region, score) VALUES (2, 'bob', NULL, 'eu', NULL);
