-- The production database of the incident: release 1 plus products.nameCanonical,
-- while the application's startup detector expects products.product_name.
ALTER TABLE products ADD COLUMN "nameCanonical" TEXT;
CREATE INDEX products_name_canonical_idx ON products ("nameCanonical");
UPDATE products SET "nameCanonical" = 'Green tea' WHERE id = 1;
UPDATE products SET "nameCanonical" = 'Black tea' WHERE id = 2;
