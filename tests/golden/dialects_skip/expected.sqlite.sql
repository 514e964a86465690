CREATE INDEX IF NOT EXISTS "notes_n_partial_idx" ON "notes"("n") WHERE n > 0;
ALTER TABLE "notes" ADD COLUMN "kind" VARCHAR(20);
