ALTER TABLE `prodüct naïve` ADD COLUMN `order` INT NOT NULL DEFAULT 1;
ALTER TABLE `prodüct naïve` RENAME COLUMN `we"ird` TO `back``tick; --x`;
CREATE INDEX `idx "q" ``b``; --` ON `prodüct naïve`(`select`, `order`);
ALTER TABLE `prodüct naïve` ADD CONSTRAINT `uq; ``x`` "y"` UNIQUE (`select`);
CREATE TABLE IF NOT EXISTS `gr"oup``; DROP TABLE x` (`id` INT NOT NULL, `group` VARCHAR(10) NOT NULL DEFAULT 'it''s', `prodüct id` INT, CONSTRAINT `PRIMARY` PRIMARY KEY (`id`), CONSTRAINT `gr"oup``; DROP TABLE x_prodüct id_fkey` FOREIGN KEY (`prodüct id`) REFERENCES `prodüct naïve` (`id`) ON DELETE SET NULL);
ALTER TABLE `prodüct naïve` MODIFY COLUMN `select` VARCHAR(80) NOT NULL;
