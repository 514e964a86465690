CREATE INDEX IF NOT EXISTS "notes_n_partial_idx" ON "notes"("n") WHERE n > 0;
COMMENT ON COLUMN notes.body IS 'free text';
ALTER TABLE "notes" ADD COLUMN IF NOT EXISTS "kind" VARCHAR(20);
