INSERT INTO "permissions" ("id", "key", "description") SELECT "m"."base" + ROW_NUMBER() OVER (ORDER BY "v"."key"), "v"."key", "v"."description" FROM UNNEST(CAST(%b AS varchar[]), CAST(%b AS text[])) AS "v"("key", "description") CROSS JOIN (SELECT COALESCE(MAX("id"), 0) AS base FROM "permissions") AS m;
INSERT INTO "roles" ("id", "name") SELECT "m"."base" + ROW_NUMBER() OVER (ORDER BY "v"."name"), "v"."name" FROM UNNEST(CAST(%b AS varchar[])) AS "v"("name") CROSS JOIN (SELECT COALESCE(MAX("id"), 0) AS base FROM "roles") AS m;
UPDATE "roles" AS t SET "description" = "v"."description" FROM UNNEST(CAST(%b AS varchar[]), CAST(%b AS text[])) AS "v"("name", "description") WHERE "t"."name" = "v"."name";
INSERT INTO "role_permissions" ("role_id", "permission_id") SELECT "r"."id", "p"."id" FROM UNNEST(CAST(%b AS varchar[]), CAST(%b AS varchar[])) AS "v"("role", "permission") JOIN "roles" AS r ON "r"."name" = "v"."role" JOIN "permissions" AS p ON "p"."key" = "v"."permission";
DELETE FROM "role_permissions" WHERE ("role_id", "permission_id") IN (SELECT "r"."id", "p"."id" FROM UNNEST(CAST(%b AS varchar[]), CAST(%b AS varchar[])) AS "v"("role", "permission") JOIN "roles" AS r ON "r"."name" = "v"."role" JOIN "permissions" AS p ON "p"."key" = "v"."permission");
DELETE FROM "role_permissions" WHERE "role_id" IN (SELECT "x"."id" FROM "roles" AS x WHERE "x"."name" IN (SELECT * FROM UNNEST(CAST(%b AS varchar[]))));
DELETE FROM "roles" WHERE "name" IN (SELECT * FROM UNNEST(CAST(%b AS varchar[])));
DELETE FROM "role_permissions" WHERE "permission_id" IN (SELECT "x"."id" FROM "permissions" AS x WHERE "x"."key" IN (SELECT * FROM UNNEST(CAST(%b AS varchar[]))));
DELETE FROM "permissions" WHERE "key" IN (SELECT * FROM UNNEST(CAST(%b AS varchar[])));
