DROP TABLE IF EXISTS "legacy_sessions";
CREATE TABLE "_recon_rebuild_audit_log" ("id" INTEGER NOT NULL, "user_id" INTEGER, "message" VARCHAR(100), CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id"));
INSERT INTO "_recon_rebuild_audit_log" ("id", "user_id", "message") SELECT "id", "user_id", "message" FROM "audit_log";
DROP TABLE "audit_log";
ALTER TABLE "_recon_rebuild_audit_log" RENAME TO "audit_log";
DROP TABLE IF EXISTS "legacy_users";
