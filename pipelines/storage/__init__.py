"""The DuckDB database: schema, loads of raw facts, share counts, the analysts' copy."""
