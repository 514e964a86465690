DROP INDEX CONCURRENTLY IF EXISTS "events_kind_created_idx";
CREATE INDEX CONCURRENTLY IF NOT EXISTS "events_kind_created_idx" ON "events"("kind", "created_at");
DROP INDEX CONCURRENTLY IF EXISTS "events_kind_idx";
