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


def test_the_ui_shows_each_basket_of_the_shipped_config(tmp_path):
    """The alerts asset's metadata has a line per basket (names, benchmark, destinations, what held tonight) and
    each basket's chart where a rule of the basket as a whole holds (the AI leaders', always)."""
    from pipelines import calendar
    from pipelines.config import DEFAULT_CONFIG, Runtime, load_config
    from pipelines.orchestration.execution import materialize_sessions

    runtime = Runtime(tmp_path / "mm.duckdb", "replay", ROOT / "examples" / "november-2025")
    report = materialize_sessions(runtime, load_config(DEFAULT_CONFIG), calendar.sessions("2025-11-07", "2025-11-07"))
    assert report.success, report.error
    meta = report.metadata["alerts"]
    table = str(meta["baskets"])
    assert "| ai | AI leaders | 6 | ^IXIC | slack | critical Sector sell-off" in table
    assert "| hyperscalers | Hyperscalers | 5 | ^GSPC | hyperscalers |" in table
    assert "data:image/png;base64," in str(meta["chart"])  # the AI leaders' chart
    assert "no chart tonight" in str(meta["chart_hyperscalers"])  # nothing of that basket as a whole held
    findings = str(meta["latest_findings"])
    assert "**critical** AI leaders: Sector sell-off (`sector_selloff`)" in findings
    assert "**warning** AI leaders: 5-session drop, CRWV (`stock_drop_5d`)" in findings
