CREATE INDEX `notes_n_idx` ON `notes`(`n`);
ALTER TABLE `notes` ADD COLUMN `kind` VARCHAR(20);
