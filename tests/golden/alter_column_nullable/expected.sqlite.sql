CREATE TABLE "_recon_rebuild_people" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(50) NOT NULL DEFAULT 'anon', "nick" VARCHAR(50) NOT NULL);
INSERT INTO "_recon_rebuild_people" ("id", "name", "nick") SELECT "id", "name", "nick" FROM "people";
DROP TABLE "people";
ALTER TABLE "_recon_rebuild_people" RENAME TO "people";
CREATE TABLE "_recon_rebuild_people" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(50) DEFAULT 'anon', "nick" VARCHAR(50) NOT NULL);
INSERT INTO "_recon_rebuild_people" ("id", "name", "nick") SELECT "id", "name", "nick" FROM "people";
DROP TABLE "people";
ALTER TABLE "_recon_rebuild_people" RENAME TO "people";
