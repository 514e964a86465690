-- Indexes, one row per key column in key order (INCLUDE columns left out).
-- An expression column (attnum 0) is reported as its expression text. An INVALID
-- index (left by a failed CREATE INDEX CONCURRENTLY) is not there for any purpose.
-- A partial index's predicate is the WHERE of its definition (pg_get_indexdef, like
-- pg_get_constraintdef, takes no relation lock; pg_get_expr would). Column names are looked
-- up by the catalog's (attrelid, attnum) index rather than by hashing all of pg_attribute.
SELECT n.nspname AS schema_name,
       t.relname AS table_name,
       i.relname AS index_name,
       x.indisunique AS is_unique,
       x.indisprimary AS is_primary,
       CASE WHEN k.attnum = 0 THEN pg_get_indexdef(x.indexrelid, k.ord::int, true)
            ELSE (SELECT a.attname::text FROM pg_catalog.pg_attribute AS a
                  WHERE a.attrelid = x.indrelid AND a.attnum = k.attnum) END AS column_name,
       x.indpred IS NOT NULL AS is_partial,
       CASE WHEN x.indpred IS NOT NULL
            THEN substring(pg_get_indexdef(x.indexrelid) FROM ' WHERE \((.*)\)$') END AS predicate
FROM pg_catalog.pg_index AS x
JOIN pg_catalog.pg_class AS i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_class AS t ON t.oid = x.indrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = t.relnamespace
CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
WHERE n.nspname = ANY(:schemas)
  /* tables: n.nspname, t.relname */
  AND x.indisvalid
  AND k.ord <= x.indnkeyatts
ORDER BY n.nspname, t.relname, i.relname, k.ord
