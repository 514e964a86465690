ALTER TABLE `settings` ALTER COLUMN `label` SET DEFAULT 'it''s; -- fine';
ALTER TABLE `settings` ALTER COLUMN `theme` SET DEFAULT 'dark';
ALTER TABLE `settings` ALTER COLUMN `retries` DROP DEFAULT;
ALTER TABLE `settings` ALTER COLUMN `enabled` SET DEFAULT TRUE;
