"""The Dagster wiring: running the graph (CLI and schedule alike), schedules, sensors, the instance's storage."""
