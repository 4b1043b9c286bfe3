"""The example shipped in the repository: a new user sees the product work without Yahoo or ../shared."""

import filecmp
import importlib.util

import pytest

from tests.support.cli import ROOT, cli

pytestmark = pytest.mark.slow  # the graph, the CLI or the webserver: run by CI, not the fast loop

EXAMPLE = f"{ROOT}/examples/november-2025"


def test_the_readme_offline_command_prints_the_november_alert(tmp_path):
    result = cli(
        "run", "--source", "replay", "--replay-dir", EXAMPLE, env={"MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb")}
    )
    assert result.returncode == 0, result.stderr
    assert "1 session(s) 2025-11-07 .. 2025-11-07" in result.stdout
    dry_run = result.stdout.split("--- dry run (no Slack settings): this message would be sent ---")[1]
    assert dry_run.lstrip().startswith("[CRITICAL] AI leaders: Sector sell-off — 2025-11-07")
    assert dry_run.lstrip().startswith("[CRITICAL] AI leaders: Sector sell-off — 2025-11-07 (firing since 2025-11-06)")
    assert "AI leaders lost $548B (-7.0%)" in dry_run


def test_the_example_is_a_faithful_cut_of_the_real_data(tmp_path, shared_market):
    spec = importlib.util.spec_from_file_location("cut", f"{ROOT}/examples/cut_november_2025.py")
    cut = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cut)
    counts = cut.cut(shared_market, tmp_path / "fresh")
    assert counts["NVDA.csv"] == 255 and counts["IXIC.csv"] == 255
    names = sorted(p.name for p in (tmp_path / "fresh").iterdir())
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "fresh", EXAMPLE, names, shallow=False)
    assert mismatch == [] and errors == [] and len(match) == len(names)
