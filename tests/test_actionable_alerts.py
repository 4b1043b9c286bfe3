"""Alerts people can act on, through the real graph (`market-monitor run`) and the local Slack server: the
sector digest's history (from the analysts' views), its chart in the thread, and silences."""

import json
import statistics

import duckdb
import pandas as pd
import pytest

from pipelines.domain.history import ordinal
from pipelines.storage import store
from tests.support.cli import cli
from tests.support.fake_slack import FakeSlack
from tests.support.synthetic import BENCHMARK, WATCHLIST, basic_snapshot, write_config, write_prices

pytestmark = pytest.mark.slow  # CLI runs of the graph: run by CI, not the fast loop

REAL_RANGE = ("--start", "2024-01-02", "--end", "2025-11-07")
PNG = b"\x89PNG\r\n\x1a\n"


def _env(tmp_path, slack: FakeSlack | None = None, config=None) -> dict:
    env = {"MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb")}
    if config:
        env["MARKET_MONITOR_CONFIG"] = str(config)
    return {**env, **(slack.env() if slack else {})}


def _database(tmp_path) -> None:
    """The live database as a first run leaves it (silences are added to a database a run created)."""
    con = store.connect(tmp_path / "mm.duckdb")
    store.prepare(con)
    con.close()


def _analysts(tmp_path, query: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(tmp_path / "mm.analytics.duckdb"), read_only=True)
    try:
        return con.execute(query, list(params)).fetchall()
    finally:
        con.close()


def test_the_november_digest_carries_its_history_and_its_chart(tmp_path, shared_market):
    with FakeSlack() as slack:
        result = cli(
            "run", "--source", "replay", "--replay-dir", str(shared_market), *REAL_RANGE, env=_env(tmp_path, slack)
        )
        assert result.returncode == 0, result.stderr
        [digest] = [p for p in slack.posts() if not p.get("thread_ts") and p["channel"] == "#ai-selloff"]
        files = list(slack.files)
    text = digest["text"]
    assert text.startswith("[CRITICAL] AI leaders: Sector sell-off — 2025-11-07")
    # The chart: one PNG, in the digest's thread, named after the message; the text was posted once.
    [chart] = files
    assert chart["thread_ts"] == digest["ts"] and chart["bytes"].startswith(PNG) and len(chart["bytes"]) > 20_000
    assert (
        chart["name"]
        == "market-monitor-" + digest["metadata"]["event_payload"]["notification_id"].replace(":", "-") + ".png"
    )
    # Every figure of the history section, recomputed from the analysts' views.
    [(r5, rank, n, first, share)] = _analysts(
        tmp_path,
        "SELECT cap_return_5d, loss_rank, sessions_to_date, first_stored, worse_than_share "
        "FROM basket_history WHERE basket = 'ai' AND date = DATE '2025-11-07'",
    )
    [(since,)] = _analysts(  # the last as bad whose window ends before the episode's first window (from 11-06)
        tmp_path,
        "SELECT max(b.date) FROM basket_history b JOIN trading_sessions s ON s.date = b.date WHERE b.basket = 'ai' AND "
        "s.session_idx <= (SELECT session_idx - 5 FROM trading_sessions WHERE date = DATE '2025-11-06') "
        "AND b.cap_return_5d <= ?",
        [r5],
    )
    assert (
        f"{r5 * 100:+.1f}% over 5 sessions is the {ordinal(rank)} worst of {n} sessions stored since {first} "
        f"(worse than {share:.0%}); the worst since {since}." in text
    )
    previous = _analysts(
        tmp_path,
        "SELECT opened_on, last_session, return_after_5, return_after_20 "
        "FROM episode_history WHERE basket = 'ai' AND rule = 'sector_selloff' AND opened_on < "
        "DATE '2025-11-06' ORDER BY opened_on DESC",
    )
    assert len(previous) >= 3 and f"Before: {len(previous)} episodes stored; " in text
    last = previous[0]  # the newest before this one: the April 2025 sell-off, by its dates
    assert last[0].year == 2025 and last[0].month == 4 and f"the last {last[0]}..{last[1]}, peak" in text
    for horizon, column in ((5, 2), (20, 3)):
        values = [p[column] for p in previous if p[column] is not None]
        assert (
            f"after {horizon} sessions median {statistics.median(values) * 100:+.1f}% "
            f"(worst {min(values) * 100:+.1f}%, {len(values)} episodes)" in text
        )
    assert any("How unusual" in b["text"]["text"] for b in digest["blocks"] if b["type"] == "section")


def test_a_silence_on_the_sector_rule_keeps_its_digest_and_records_the_transition(tmp_path, shared_market):
    env = _env(tmp_path)
    _database(tmp_path)
    added = cli(
        "silence",
        "add",
        "sector_selloff",
        "--until",
        "2025-11-10",
        "--reason",
        "known: the November sell-off",
        "--by",
        "ops-anna",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    assert "silence 1: sector_selloff (all subjects) in every basket until 2025-11-10" in added.stdout
    listed = cli("silence", "list", env=env)
    assert (
        "sector_selloff (all subjects) in every basket  until 2025-11-10  — known: the November sell-off (ops-anna"
        in (listed.stdout)
    )
    with FakeSlack() as slack:
        result = cli(
            "run", "--source", "replay", "--replay-dir", str(shared_market), *REAL_RANGE, env=_env(tmp_path, slack)
        )
        assert result.returncode == 0, result.stderr
        posts = [p for p in slack.posts() if not p.get("thread_ts")]
    assert not [
        p for p in posts if "AI leaders: Sector sell-off" in p["text"] or "critical sector_selloff" in p["text"]
    ]
    # The other rules of the night still go out, saying what is silenced until when.
    [digest] = posts
    assert (
        "Silenced (recorded, not sent): Sector sell-off, every subject, until 2025-11-10 (#1, ops-anna: known: "
        "the November sell-off)" in digest["text"]
    )
    rows = _analysts(
        tmp_path,
        "SELECT session, transition, notify, silenced_by FROM alert_events "
        "WHERE rule = 'sector_selloff' AND session = DATE '2025-11-07'",
    )
    assert rows == [(pd.Timestamp("2025-11-07").date(), "firing", False, 1)]


def _falling_snapshot(folder):
    """Every name 10% lower from 2024-08-21 on, the benchmark 4% lower: sector_selloff holds from 08-21 for five
    sessions (08-21 .. 08-27), while the fall is inside the 5-session window."""
    basic_snapshot(folder, start="2024-06-03", end="2024-08-30")
    for name, fall in [*((n, 0.90) for n in WATCHLIST), (BENCHMARK, 0.96)]:
        path = folder / ("IXIC.csv" if name == BENCHMARK else f"{name}.csv")
        frame = pd.read_csv(path)
        late = frame["date"] >= "2024-08-21"
        frame.loc[late, ["open", "high", "low", "close"]] *= fall
        write_prices(folder, name, frame[["date", "open", "high", "low", "close"]])
    return folder


def test_an_episode_that_outlasts_its_silence_is_announced_as_firing_since(tmp_path):
    snap = _falling_snapshot(tmp_path / "snap")
    config = write_config(tmp_path / "monitor.toml")
    env = _env(tmp_path, config=config)
    _database(tmp_path)
    assert (
        cli(
            "silence", "add", "sector_selloff", "WATCHLIST", "--until", "2024-08-22", "--reason", "expected", env=env
        ).returncode
        == 0
    )
    with FakeSlack() as slack:
        sent = {}
        for night in ("2024-08-21", "2024-08-22", "2024-08-23"):
            before = len(slack.posts())
            result = cli(
                "run",
                "--source",
                "replay",
                "--replay-dir",
                str(snap),
                "--end",
                night,
                env=_env(tmp_path, slack, config),
            )
            assert result.returncode == 0, result.stderr
            sent[night] = [p["text"] for p in slack.posts()[before:] if not p.get("thread_ts")]
    assert not any("AI leaders: Sector sell-off" in t for t in sent["2024-08-21"] + sent["2024-08-22"])
    [opening] = [t for t in sent["2024-08-23"] if "Sector sell-off" in t]
    assert opening.startswith("[CRITICAL] AI leaders: Sector sell-off — 2024-08-23 (firing since 2024-08-21)")
    assert "Silenced" not in opening  # the silence no longer covers this session
    rows = _analysts(
        tmp_path,
        "SELECT CAST(session AS VARCHAR), transition, notify, silenced_by FROM alert_events "
        "WHERE rule = 'sector_selloff' ORDER BY session",
    )
    assert rows == [
        ("2024-08-21", "open", False, 1),
        ("2024-08-22", "firing", False, 1),
        ("2024-08-23", "firing", True, None),
    ]


def test_bad_silences_get_a_clear_error_and_change_nothing(tmp_path):
    env = _env(tmp_path)
    wrong = cli("silence", "list", "--db", str(tmp_path / "typo.duckdb"), env=env)
    assert wrong.returncode == 2 and "no database at" in wrong.stderr and not (tmp_path / "typo.duckdb").exists()
    typo = cli(
        "silence",
        "add",
        "stock_drop_5d",
        "--until",
        "2025-11-10",
        "--reason",
        "x",
        "--db",
        str(tmp_path / "typo.duckdb"),
        env=env,
    )
    assert typo.returncode == 2 and "no database at" in typo.stderr and not (tmp_path / "typo.duckdb").exists()
    _database(tmp_path)
    assert (
        cli(
            "silence", "add", "stock_drop_5d", "NVDA", "--until", "2025-11-10", "--reason", "earnings", env=env
        ).returncode
        == 0
    )
    for args, said in [
        (("add", "no_such_rule", "--until", "2025-11-10", "--reason", "x"), "invalid choice: 'no_such_rule'"),
        (("add", "stock_drop_5d", "NVDAA", "--until", "2025-11-10", "--reason", "x"), "unknown subject 'NVDAA'"),
        (("add", "stock_drop_5d", "--until", "2025-11-31", "--reason", "x"), "'2025-11-31' is not a date"),
        (("add", "stock_drop_5d", "--until", "2025-11-10", "--reason", " "), "--reason must say why"),
        (("expire", "42"), "no silence with id 42"),
    ]:
        result = cli("silence", *args, env=env)
        assert result.returncode == 2 and said in result.stderr, (args, result.stderr)
    assert cli("silence", "expire", "1", "--by", "ops-ben", env=env).returncode == 0
    again = cli("silence", "expire", "1", env=env)
    assert again.returncode == 2 and "silence 1 already expired" in again.stderr
    con = duckdb.connect(str(tmp_path / "mm.duckdb"), read_only=True)
    rows = con.execute("SELECT id, rule, subject, until, expired_by FROM silences").fetchall()
    con.close()
    assert rows == [(1, "stock_drop_5d", "NVDA", pd.Timestamp("2025-11-10").date(), "ops-ben")]


def test_text_people_type_is_shown_as_written_never_as_markup_or_terminal_codes(tmp_path):
    """A silence's reason and author reach every digest while it holds: Slack sees them escaped (no @channel, no
    disguised link), and `silence list` never lets an escape sequence drive the terminal."""
    snap = _falling_snapshot(tmp_path / "snap")
    config = write_config(tmp_path / "monitor.toml")
    env = _env(tmp_path, config=config)
    _database(tmp_path)
    reason = "<!channel> all clear <https://evil.example/login|Dagster run> & more"
    added = cli(
        "silence", "add", "stock_drop_5d", "--until", "2024-08-30", "--reason", reason, "--by", "<!everyone>", env=env
    )
    assert added.returncode == 0, added.stderr
    with FakeSlack() as slack:
        result = cli(
            "run",
            "--source",
            "replay",
            "--replay-dir",
            str(snap),
            "--end",
            "2024-08-21",
            env=_env(tmp_path, slack, config),
        )
        assert result.returncode == 0, result.stderr
        [digest] = [p for p in slack.posts() if not p.get("thread_ts")]
    shown = json.dumps(digest["blocks"]) + digest["text"]
    assert "<!channel>" not in shown and "<!everyone>" not in shown and "<https://evil" not in shown
    assert "&lt;!channel&gt; all clear &lt;https://evil.example/login|Dagster run&gt; &amp; more" in digest["text"]
    assert "(#1, &lt;!everyone&gt;:" in digest["text"]

    ansi = cli(
        "silence", "add", "stock_drop_5d", "--until", "2024-08-30", "--reason", "\x1b[2J\x1b[31mall fine", env=env
    )
    assert ansi.returncode == 2 and "--reason contains control characters (\\x1b)" in ansi.stderr
    con = duckdb.connect(str(tmp_path / "mm.duckdb"))  # a row written before the check existed
    con.execute("UPDATE silences SET reason = 'ok\x1b[2J\x1b]0;pwned\x07' WHERE id = 1")
    con.close()
    listed = cli("silence", "list", env=env)
    assert listed.returncode == 0 and "\x1b" not in listed.stdout and "\x07" not in listed.stdout
    assert "ok\\x1b[2J\\x1b]0;pwned\\x07" in listed.stdout
