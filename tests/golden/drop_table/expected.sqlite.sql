DROP TABLE IF EXISTS "legacy_sessions";
CREATE TABLE "_recon_rebuild_audit_log" ("id" INTEGER NOT NULL PRIMARY KEY, "user_id" INTEGER, "message" VARCHAR(100));
INSERT INTO "_recon_rebuild_audit_log" ("id", "user_id", "message") SELECT "id", "user_id", "message" FROM "audit_log";
DROP TABLE "audit_log";
ALTER TABLE "_recon_rebuild_audit_log" RENAME TO "audit_log";
DROP TABLE IF EXISTS "legacy_users";
