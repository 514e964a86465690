-- Columns of every table (and of every view when with_views is set), in cid order.
-- Hidden columns of virtual tables are left out; generated ones kept (hidden 2 or 3).
SELECT {param} AS schema_name,
       m.name AS table_name,
       p.name AS column_name,
       p.type AS column_type,
       p."notnull" AS not_null,
       p.dflt_value AS column_default,
       p.pk AS pk_position,
       p.hidden AS hidden
FROM {schema}.sqlite_master AS m
JOIN pragma_table_xinfo(m.name, {param}) AS p
WHERE (m.type = 'table' OR (m.type = 'view' AND :with_views))
  AND substr(m.name, 1, 7) <> 'sqlite_'
  AND p.hidden <> 1
