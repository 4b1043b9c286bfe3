"""A mixin for Dagster's SQL event logs (SQLite and Postgres alike), no Dagster import."""


class RemembersTables:
    """Dagster asks whether a table exists with a new engine or connection for every asset event. A table, once
    there, stays; a no is asked again (a migration by another process may add the table)."""

    _tables: set[str]

    def has_table(self, table_name: str) -> bool:
        if table_name not in self._tables:
            if not super().has_table(table_name):  # type: ignore[misc]
                return False
            self._tables.add(table_name)
        return True
