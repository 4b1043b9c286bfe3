"""Imports go one way: the Dagster wiring -> the asset layer -> the domain. The domain never imports the asset
layer, the wiring or Dagster itself (two lazy uses of Dagster's cron parser excepted, so config and freshness
agree with the schedule on what a cron string means); the asset layer never imports the wiring."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The Dagster-facing modules of pipelines/: code location, job runner, resources, schedules, sensors, CLI, and
# the instance's storage (SQLite and Postgres), the failed run's unreached checks.
WIRING = {
    "pipelines.definitions",
    "pipelines.execution",
    "pipelines.resources",
    "pipelines.schedules",
    "pipelines.sensors",
    "pipelines.partitions",
    "pipelines.progress",
    "pipelines.cli",
    "pipelines.event_log_storage",
    "pipelines.unrun_checks",
    "pipelines.postgres_storage",
    "pipelines.remembered_tables",
}
LAZY_DAGSTER = {("pipelines.config", "dagster._utils.schedules"), ("pipelines.freshness", "dagster._utils.schedules")}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def _modules(folder: str) -> dict[str, set[str]]:
    return {_module(p): _imports(p) for p in (ROOT / folder).rglob("*.py")}


def _hits(imports: set[str], prefixes: set[str]) -> set[str]:
    return {i for i in imports if any(i == p or i.startswith(p + ".") for p in prefixes)}


def test_the_domain_imports_neither_the_asset_layer_nor_the_wiring_nor_dagster():
    for module, imports in _modules("pipelines").items():
        if module in WIRING:
            continue
        bad = _hits(imports, {"assets", "dagster", "dagster_duckdb", "dagster_slack", *WIRING})
        bad = {b for b in bad if not any(m == module and b.startswith(lazy) for m, lazy in LAZY_DAGSTER)}
        assert not bad, f"{module} imports {sorted(bad)}"


def test_the_asset_layer_never_imports_the_wiring():
    for module, imports in _modules("assets").items():
        assert not _hits(imports, WIRING - {"pipelines.resources", "pipelines.partitions"}), module


def test_the_layers_are_all_accounted_for():
    assert set(_modules("pipelines")) >= WIRING, WIRING - set(_modules("pipelines"))
