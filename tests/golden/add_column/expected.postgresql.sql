ALTER TABLE "items" ADD COLUMN IF NOT EXISTS "note" TEXT;
ALTER TABLE "items" ADD COLUMN IF NOT EXISTS "qty" INT NOT NULL DEFAULT 0;
ALTER TABLE "items" ADD COLUMN IF NOT EXISTS "code" VARCHAR(40);
ALTER TABLE "items" ADD COLUMN IF NOT EXISTS "owner_id" INT;
DO $recon$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint AS c JOIN pg_catalog.pg_class AS t ON t.oid = c.conrelid JOIN pg_catalog.pg_namespace AS n ON n.oid = t.relnamespace WHERE (c.conname = 'items_owner_id_fkey' AND t.relname = 'items') AND n.nspname = CURRENT_SCHEMA) THEN ALTER TABLE "items" ADD CONSTRAINT "items_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "owners" ("id") ON DELETE SET NULL; END IF; END $recon$;
