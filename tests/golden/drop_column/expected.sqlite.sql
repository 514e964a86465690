ALTER TABLE "customers" DROP COLUMN "fax";
CREATE TABLE "_recon_rebuild_customers" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(50) NOT NULL, "score" INTEGER);
INSERT INTO "_recon_rebuild_customers" ("id", "name", "score") SELECT "id", "name", "score" FROM "customers";
DROP TABLE "customers";
ALTER TABLE "_recon_rebuild_customers" RENAME TO "customers";
CREATE INDEX customers_score_idx ON customers (score);
