-- The connection holding recon's GET_LOCK name, read when apply finds it held: who, since how
-- long in its current state, and what it runs (a killed client's statement runs on).
SELECT p.ID, p.USER, p.HOST, p.TIME, p.COMMAND, p.STATE, LEFT(p.INFO, 160)
FROM information_schema.PROCESSLIST AS p
WHERE p.ID = IS_USED_LOCK(:name)
