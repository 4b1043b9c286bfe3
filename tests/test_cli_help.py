"""What `market-monitor --help` tells ops: every flag explained, every setting it reads named, every pointer live."""

import argparse
import re

import pytest

from pipelines.cli import build_parser
from tests.support.cli import ROOT


def parsers(parser: argparse.ArgumentParser, path=()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, (*path, name))


def test_every_argument_of_every_command_says_what_it_is():
    unexplained = [
        f"{' '.join(path) or 'market-monitor'} {action.dest}"
        for path, parser in parsers(build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction | argparse._HelpAction) and not action.help
    ]
    assert unexplained == []


@pytest.mark.parametrize("command", [["run"], ["snapshot"], ["backtest"], ["sql"], ["silence"]])
def test_help_names_every_setting_read_from_the_environment(command, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args([*command, "--help"])
    text = capsys.readouterr().out
    readers = ("pipelines/channels/slack.py", "assets/resources.py", "pipelines/config.py")  # every reader
    read = {v for f in readers for v in re.findall(r'"((?:SLACK|MARKET_MONITOR)_[A-Z_]+)"', (ROOT / f).read_text())}
    assert read and sorted(v for v in read if v not in text) == []


def test_pointers_in_help_and_config_lead_to_files_that_exist():
    texts = {
        "pipelines/cli.py": (ROOT / "pipelines" / "cli.py").read_text(),
        "monitor.toml": (ROOT / "monitor.toml").read_text(),
    }
    for name, text in texts.items():
        assert "README's" not in text and '("Configuration")' not in text, name  # README sections that moved
        for doc in re.findall(r"docs/[\w-]+\.md", text):
            assert (ROOT / doc).is_file(), f"{name} points at {doc}"


def test_the_retry_waits_monitor_toml_promises_are_the_ones_dagster_waits():
    """The comment promised 30/60/120 s while runs announced waits of 25, 112 and 194 s (Dagster's exponential
    backoff is (2^n - 1) x delay, plus or minus the delay): the comment now gives what the policy does."""
    from assets.common import source_retry
    from pipelines.config import load_config

    cfg = load_config(ROOT / "monitor.toml")
    text = (ROOT / "monitor.toml").read_text()
    promised = [int(s) for s in re.search(r"after about (\d+) s, (\d+) s, (\d+) s", text).groups()]
    policy, base = source_retry(cfg), cfg.history.retry_delay_seconds
    for attempt, centre in enumerate(promised, start=1):
        waits = [policy.calculate_delay(attempt) for _ in range(200)]
        assert centre - base <= min(waits) and max(waits) <= centre + base, (attempt, centre)


def test_a_failed_live_night_prints_its_cause_not_yfinances_deprecation_notices(tmp_path, monkeypatch, capsys):
    """A snapshot on a night Yahoo answers nothing: exit 1 and the cause, without the pandas deprecation notices
    raised inside yfinance (about 200 lines on a real failed night, burying the one line that matters)."""
    import warnings

    import requests

    from pipelines import cli
    from pipelines.sources import yahoo
    from tests.support.fake_yahoo import FakeYahoo

    monkeypatch.setattr(yahoo, "SESSION_FACTORY", requests.Session)
    with warnings.catch_warnings(record=True) as seen, FakeYahoo({}):
        warnings.simplefilter("always")
        code = cli.main(["snapshot", "--start", "2025-11-03", "--end", "2025-11-07", "--out", str(tmp_path / "s")])
    assert code == 1
    assert capsys.readouterr().err.strip().endswith("not found (unknown or delisted symbol)")
    assert [str(w.message)[:60] for w in seen if "yfinance" in w.filename] == []


@pytest.mark.slow  # another process
def test_a_fresh_cli_process_on_a_failed_night_prints_one_line_not_yfinances_noise(tmp_path):
    """As a user sees it: a new process, where yfinance is imported after the CLI started (its import puts its own
    warnings filter in front) and its log lines had no handler but Python's last resort. Yahoo is unreachable
    (a proxy on a closed port: the same offline or not): exit 1 and the one line that names the cause."""
    from tests.support.cli import cli

    closed = {"https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    result = cli("snapshot", "--start", "2025-11-03", "--end", "2025-11-07", "--out", str(tmp_path / "s"), env=closed)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "market-monitor: Yahoo returned no prices for any of NVDA, PLTR, ORCL, META, AMD, CRWV, MSFT, GOOGL, AMZN, "
        "^IXIC, ^GSPC (2025-11-03..2025-11-07): connection refused (cannot reach Yahoo)"
    ]
