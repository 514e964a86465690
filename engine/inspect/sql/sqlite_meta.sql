-- The library version, once per attached database (main, temp, and any ATTACHed name).
SELECT sqlite_version() AS server_version,
       d.name AS database_name
FROM pragma_database_list AS d
