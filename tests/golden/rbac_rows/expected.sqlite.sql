INSERT INTO "permissions" ("key", "description") VALUES (?, ?);
INSERT INTO "roles" ("name") VALUES (?);
UPDATE "roles" AS t SET "description" = "v"."description" FROM (SELECT "column1" AS "name", "column2" AS "description" FROM (VALUES (?, ?))) AS "v" WHERE "t"."name" = "v"."name";
INSERT INTO "role_permissions" ("role_id", "permission_id") SELECT "r"."id", "p"."id" FROM (SELECT "column1" AS "role", "column2" AS "permission" FROM (VALUES (?, ?))) AS "v" JOIN "roles" AS r ON "r"."name" = "v"."role" JOIN "permissions" AS p ON "p"."key" = "v"."permission";
DELETE FROM "role_permissions" WHERE ("role_id", "permission_id") IN (SELECT "r"."id", "p"."id" FROM (SELECT "column1" AS "role", "column2" AS "permission" FROM (VALUES (?, ?))) AS "v" JOIN "roles" AS r ON "r"."name" = "v"."role" JOIN "permissions" AS p ON "p"."key" = "v"."permission");
DELETE FROM "role_permissions" WHERE "role_id" IN (SELECT "x"."id" FROM "roles" AS x WHERE "x"."name" IN (?));
DELETE FROM "roles" WHERE "name" IN (?);
DELETE FROM "role_permissions" WHERE "permission_id" IN (SELECT "x"."id" FROM "permissions" AS x WHERE "x"."key" IN (?));
DELETE FROM "permissions" WHERE "key" IN (?);
