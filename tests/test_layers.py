"""The house's import direction, kept by import-linter's contracts in pyproject.toml ([tool.importlinter]): folders
are layers and imports run downward only; below the Dagster wiring and the assets nothing imports Dagster."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def test_the_import_contracts_are_kept():
    result = subprocess.run([str(LINT), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_every_module_of_pipelines_is_in_a_layer():
    """A new top-level module would sit outside the contracts: it goes into a layer's folder (or the foundation's
    list in pyproject.toml) first."""
    import tomllib

    layers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]["layers"]
    named = {m.strip() for layer in layers for m in layer.split("|")}
    top = {
        f"pipelines.{p.stem}" if p.is_file() else f"pipelines.{p.name}"
        for p in (ROOT / "pipelines").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").is_file())
    }
    assert top - named == set(), top - named
