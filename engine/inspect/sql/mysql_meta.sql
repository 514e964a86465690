-- The server's version (MariaDB says so in it) and the connected database.
SELECT VERSION() AS server_version,
       DATABASE() AS default_schema
