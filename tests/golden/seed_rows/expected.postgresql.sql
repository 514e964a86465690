INSERT INTO "settings" ("key", "value", "enabled") SELECT * FROM UNNEST(CAST(%b AS varchar[]), CAST(%b AS text[]), CAST(%b AS boolean[]));
UPDATE "settings" AS t SET "value" = "v"."value" FROM UNNEST(CAST(%b AS varchar[]), CAST(%b AS text[])) AS "v"("key", "value") WHERE "t"."key" = "v"."key";
DELETE FROM "settings" WHERE "key" IN (SELECT * FROM UNNEST(CAST(%b AS varchar[])));
