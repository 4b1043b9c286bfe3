SELECT (SELECT count(*) FROM duckdb_tables() WHERE database_name = 'fresh') AS tables,
       (SELECT count(*) FROM duckdb_views() WHERE database_name = 'fresh' AND NOT internal) AS views;
