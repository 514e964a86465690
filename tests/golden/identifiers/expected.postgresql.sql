ALTER TABLE "prodüct naïve" ADD COLUMN IF NOT EXISTS "order" INT NOT NULL DEFAULT 1;
ALTER TABLE "prodüct naïve" RENAME COLUMN "we""ird" TO "back`tick; --x";
CREATE INDEX IF NOT EXISTS "idx ""q"" `b`; --" ON "prodüct naïve"("select", "order");
DO $recon$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint AS c JOIN pg_catalog.pg_class AS t ON t.oid = c.conrelid JOIN pg_catalog.pg_namespace AS n ON n.oid = t.relnamespace WHERE (c.conname = 'uq; `x` "y"' AND t.relname = 'prodüct naïve') AND n.nspname = CURRENT_SCHEMA) THEN ALTER TABLE "prodüct naïve" ADD CONSTRAINT "uq; `x` ""y""" UNIQUE ("select"); END IF; END $recon$;
CREATE TABLE IF NOT EXISTS "gr""oup`; DROP TABLE x" ("id" INT NOT NULL, "group" VARCHAR(10) NOT NULL DEFAULT 'it''s', "prodüct id" INT, CONSTRAINT "gr""oup`; DROP TABLE x_pkey" PRIMARY KEY ("id"), CONSTRAINT "gr""oup`; DROP TABLE x_prodüct id_fkey" FOREIGN KEY ("prodüct id") REFERENCES "prodüct naïve" ("id") ON DELETE SET NULL);
ALTER TABLE "prodüct naïve" ALTER COLUMN "select" SET DATA TYPE VARCHAR(80) USING CAST("select" AS VARCHAR(80));
