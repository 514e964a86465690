DROP TABLE IF EXISTS `legacy_sessions`;
ALTER TABLE `audit_log` DROP FOREIGN KEY IF EXISTS `audit_log_user_id_fkey`;
ALTER TABLE `audit_log` DROP INDEX IF EXISTS `audit_log_user_id_fkey`;
DROP TABLE IF EXISTS `legacy_users`;
