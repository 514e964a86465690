ALTER TABLE `members` DROP INDEX IF EXISTS `members_email_key`;
ALTER TABLE `members` DROP FOREIGN KEY IF EXISTS `members_team_id_fkey`;
ALTER TABLE `members` DROP INDEX IF EXISTS `members_team_id_fkey`;
ALTER TABLE `members` DROP CONSTRAINT IF EXISTS `members_age_check`;
