-- Primary key, unique, foreign key and check constraints, one row per
-- constrained column in conkey order; a foreign key's referenced column
-- (confkey at the same position) is on the same row. A check's columns are
-- the ones its expression references; its expression is the constraint
-- definition without the CHECK ( ) wrapper (pg_get_constraintdef needs no
-- relation lock, unlike pg_get_expr, which matters with many tables). A foreign
-- key's ON DELETE action is spelled as a spec writes it (NO ACTION, the default: NULL).
-- Column names are looked up by (attrelid, attnum), the catalog's index, rather than joined:
-- a join hashes the whole of pg_attribute, which costs more the larger the database.
SELECT n.nspname AS schema_name,
       t.relname AS table_name,
       c.conname AS constraint_name,
       CASE c.contype WHEN 'p' THEN 'primary_key'
                      WHEN 'u' THEN 'unique'
                      WHEN 'f' THEN 'foreign_key'
                      ELSE 'check' END AS kind,
       (SELECT a.attname FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = c.conrelid AND a.attnum = k.attnum) AS column_name,
       rn.nspname AS ref_schema,
       rt.relname AS ref_table,
       (SELECT ra.attname FROM pg_catalog.pg_attribute AS ra
        WHERE ra.attrelid = c.confrelid AND ra.attnum = k.refnum) AS ref_column,
       CASE WHEN c.contype = 'c'
            THEN substring(pg_get_constraintdef(c.oid, true) FROM '^CHECK \((.*)\)(?: NOT VALID| NO INHERIT)*$')
       END AS expression,
       CASE c.confdeltype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set_null'
                          WHEN 'r' THEN 'restrict' WHEN 'd' THEN 'set_default' END AS on_delete
FROM pg_catalog.pg_constraint AS c
JOIN pg_catalog.pg_class AS t ON t.oid = c.conrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_class AS rt ON rt.oid = c.confrelid
LEFT JOIN pg_catalog.pg_namespace AS rn ON rn.oid = rt.relnamespace
LEFT JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, refnum, ord) ON true
WHERE c.contype IN ('p', 'u', 'f', 'c')
  AND n.nspname = ANY(:schemas)
  /* tables: n.nspname, t.relname */
ORDER BY n.nspname, t.relname, c.conname, k.ord
