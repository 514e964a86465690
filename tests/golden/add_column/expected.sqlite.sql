ALTER TABLE "items" ADD COLUMN "note" TEXT;
ALTER TABLE "items" ADD COLUMN "qty" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "items" ADD COLUMN "code" VARCHAR(40);
ALTER TABLE "items" ADD COLUMN "owner_id" INTEGER;
CREATE TABLE "_recon_rebuild_items" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(50) NOT NULL, "note" TEXT, "qty" INTEGER NOT NULL DEFAULT 0, "code" VARCHAR(40), "owner_id" INTEGER, CONSTRAINT "items_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "owners" ("id") ON DELETE SET NULL);
INSERT INTO "_recon_rebuild_items" ("id", "name", "note", "qty", "code", "owner_id") SELECT "id", "name", "note", "qty", "code", "owner_id" FROM "items";
DROP TABLE "items";
ALTER TABLE "_recon_rebuild_items" RENAME TO "items";
