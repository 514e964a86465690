CREATE INDEX IF NOT EXISTS "events_kind_created_idx" ON "events"("kind", "created_at");
DROP INDEX IF EXISTS "events_kind_idx";
