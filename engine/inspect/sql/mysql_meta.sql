-- The server's version (MariaDB says so in it), the connected database, and the most bytes a
-- character of that database's default character set takes (4 in utf8mb4: a VARCHAR's limit),
-- and lower_case_table_names (1 or 2: table names are compared ignoring case).
SELECT VERSION() AS server_version,
       DATABASE() AS default_schema,
       (SELECT cs.MAXLEN FROM information_schema.CHARACTER_SETS AS cs
        WHERE cs.CHARACTER_SET_NAME = @@character_set_database) AS charset_bytes,
       @@lower_case_table_names AS lower_case_table_names
