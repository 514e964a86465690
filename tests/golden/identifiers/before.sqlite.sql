CREATE TABLE "prodüct naïve" ("id" INTEGER NOT NULL PRIMARY KEY, "select" VARCHAR(40) NOT NULL, "we""ird" INTEGER);
INSERT INTO "prodüct naïve" ("id", "select", "we""ird") VALUES (1, 'it''s', 10);
INSERT INTO "prodüct naïve" ("id", "select", "we""ird") VALUES (2, 'a;b', NULL);
