INSERT INTO "settings" ("key", "value", "enabled") VALUES (?, ?, ?);
UPDATE "settings" AS t SET "value" = "v"."value" FROM (SELECT "column1" AS "key", "column2" AS "value" FROM (VALUES (?, ?))) AS "v" WHERE "t"."key" = "v"."key";
DELETE FROM "settings" WHERE "key" IN (?);
