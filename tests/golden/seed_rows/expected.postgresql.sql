UPDATE "settings" SET "value" = %(__p0)s WHERE "key" = %(__p1)s;
INSERT INTO "settings" ("key", "value", "enabled") VALUES (%(__p0)s, %(__p1)s, %(__p2)s);
DELETE FROM "settings" WHERE "key" = %(__p0)s;
