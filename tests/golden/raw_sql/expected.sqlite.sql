UPDATE products SET "nameCanonical" = LOWER(product_name) || '' WHERE "nameCanonical" IS NULL AND product_name <> 'it''s';
