DROP INDEX IF EXISTS `logs_level_idx` ON `logs`;
DROP INDEX IF EXISTS `logs_message_idx` ON `logs`;
