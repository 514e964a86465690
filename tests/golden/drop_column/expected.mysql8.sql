ALTER TABLE `customers` DROP COLUMN `fax`;
ALTER TABLE `customers` DROP COLUMN `region`;
