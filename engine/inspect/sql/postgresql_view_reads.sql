-- Which views (and materialized views) read which table columns, from the
-- dependencies of their rewrite rules: one row per (table, view, column); a
-- dependency on the table as a whole has a NULL column.
SELECT DISTINCT tn.nspname AS schema_name,
       t.relname AS table_name,
       vn.nspname AS view_schema,
       v.relname AS view_name,
       a.attname AS column_name
FROM pg_catalog.pg_depend AS d
JOIN pg_catalog.pg_rewrite AS r ON r.oid = d.objid
JOIN pg_catalog.pg_class AS v ON v.oid = r.ev_class
JOIN pg_catalog.pg_namespace AS vn ON vn.oid = v.relnamespace
JOIN pg_catalog.pg_class AS t ON t.oid = d.refobjid
JOIN pg_catalog.pg_namespace AS tn ON tn.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_attribute AS a
       ON a.attrelid = t.oid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0
WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass
  AND d.refclassid = 'pg_catalog.pg_class'::regclass
  AND t.oid <> v.oid
  AND tn.nspname = ANY(:schemas)
  /* tables: tn.nspname, t.relname */
ORDER BY 1, 2, 3, 4, 5
