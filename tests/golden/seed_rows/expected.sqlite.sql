UPDATE "settings" SET "value" = :__p0 WHERE "key" = :__p1;
INSERT INTO "settings" ("key", "value", "enabled") VALUES (:__p0, :__p1, :__p2);
DELETE FROM "settings" WHERE "key" = :__p0;
