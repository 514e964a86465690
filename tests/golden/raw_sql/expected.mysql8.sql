UPDATE products SET `nameCanonical` = CONCAT(LOWER(product_name), '') WHERE `nameCanonical` IS NULL AND product_name <> 'it''s';
