ALTER TABLE `products` RENAME COLUMN `product_name` TO `nameCanonical`;
