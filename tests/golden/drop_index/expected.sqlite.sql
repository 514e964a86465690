DROP INDEX IF EXISTS "logs_level_idx";
DROP INDEX IF EXISTS "logs_message_idx";
