ALTER TABLE `members` DROP INDEX `members_email_key`;
ALTER TABLE `members` DROP FOREIGN KEY `members_team_id_fkey`;
ALTER TABLE `members` DROP INDEX `members_team_id_fkey`;
ALTER TABLE `members` DROP CONSTRAINT `members_age_check`;
