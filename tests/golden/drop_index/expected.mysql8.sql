DROP INDEX `logs_level_idx` ON `logs`;
DROP INDEX `logs_message_idx` ON `logs`;
