CREATE INDEX `events_kind_created_idx` ON `events`(`kind`, `created_at`);
DROP INDEX `events_kind_idx` ON `events`;
