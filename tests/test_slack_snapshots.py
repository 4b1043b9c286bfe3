"""How the alerts read, as Slack receives them: the real 2025-11-07 digest, the resolved notice of that sell-off
(2025-11-11) and a reminder (2025-11-14), from nightly CLI runs over the real data with real slack_sdk calls to a
local Slack. Their Block Kit and plain text are kept in tests/snapshots/slack/ and shown in docs/slack.md: an
accidental change fails here; a deliberate one regenerates them with `UPDATE_SNAPSHOTS=1 pytest
tests/test_slack_snapshots.py` and shows in review."""

import json
import os
import re
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block

from tests.support.cli import ROOT, cli
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.slow  # six nightly runs of the CLI

SNAPSHOTS = Path(__file__).parent / "snapshots" / "slack"
NIGHTS = ["2025-11-07", "2025-11-10", "2025-11-11", "2025-11-12", "2025-11-13", "2025-11-14"]
UI = "http://dagster.example:3000"


def _stable(value):
    """Run ids and Slack's timestamps change every run: replaced by placeholders."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = re.sub(r"/runs/[0-9a-f-]{36}", "/runs/<run id>", text)
    return json.loads(text)


@pytest.fixture(scope="module")
def november(tmp_path_factory):
    market = ROOT.parent / "shared" / "data" / "market"
    if not (market / "NVDA.csv").is_file():
        pytest.skip("../shared/data/market is not present (fresh clone)")
    tmp = tmp_path_factory.mktemp("november")
    config = tmp / "monitor.toml"  # the AI basket alone: one channel, the messages of the README
    config.write_text((ROOT / "monitor.toml").read_text().split("[baskets.hyperscalers]")[0])
    with FakeSlack() as slack:
        env = {
            **slack.env(),
            "MARKET_MONITOR_DB": str(tmp / "mm.duckdb"),
            "MARKET_MONITOR_CONFIG": str(config),
            "DAGSTER_UI_URL": UI,
        }
        for night in NIGHTS:
            result = cli("run", "--source", "replay", "--replay-dir", str(market), "--end", night, env=env)
            assert result.returncode == 0, result.stderr
        return slack.posts()


def _pick(posts, kind: str) -> dict:
    if kind == "digest":
        [post] = [p for p in posts if p["text"].startswith("[CRITICAL] AI leaders: Sector sell-off — 2025-11-07")]
    elif kind == "resolved":
        [post] = [p for p in posts if p["text"].startswith("Resolved in AI leaders on 2025-11-11")]
    else:
        [post] = [p for p in posts if "2025-11-14" in p["text"].splitlines()[0] and "still holding" in p["text"]]
    return post


@pytest.mark.parametrize("kind", ["digest", "resolved", "reminder"])
def test_the_message_renders_as_its_snapshot(november, kind):
    post = _pick(november, kind)
    text, blocks = _stable(post["text"]), _stable(post["blocks"])
    for block in blocks:  # Slack's own limits, as slack_sdk checks them
        Block.parse(block).validate_json()
    paths = {"text": SNAPSHOTS / f"{kind}.txt", "blocks": SNAPSHOTS / f"{kind}.blocks.json"}
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        paths["text"].write_text(text + "\n")
        paths["blocks"].write_text(json.dumps(blocks, indent=2, ensure_ascii=False) + "\n")
    assert text == paths["text"].read_text().rstrip("\n"), f"{kind}: text differs from {paths['text']}"
    assert blocks == json.loads(paths["blocks"].read_text()), f"{kind}: blocks differ from {paths['blocks']}"


def test_the_november_digest_reads_in_fifteen_lines_with_every_figure_a_reader_checks(november):
    text = _pick(november, "digest")["text"]
    lines = text.splitlines()
    assert len(lines) <= 15, len(lines)
    verdict = lines[1]
    assert "lost $548B (-7.0%)" in verdict  # the loss in dollars and percent
    assert "summed over 5 of 6 names (no market cap: AMD)" in verdict  # the dollar figure's coverage
    assert "5 of 6 names fell 5% or more" in verdict and "^IXIC -3.0%" in verdict  # breadth, the benchmark
    assert "the 23rd worst of 248 sessions" in lines[2]  # its rank
    assert "sector_selloff" not in text and "WATCHLIST" not in text and "(s)" not in text  # no internal names


def test_a_reminder_comes_five_sessions_after_the_last_message_not_after_the_opening(november):
    """CRWV's drop opened on 2025-11-04 and was first sent, folded into the sell-off, on 2025-11-07: its episode's
    own five sessions ended on 11-11, but the reminder waits for five sessions after the message (11-14)."""
    first_lines = [p["text"].splitlines()[0] for p in november]
    reminder = _pick(november, "reminder")
    assert "5-session drop, CRWV" in reminder["text"] and not any(
        "CRWV" in line and "2025-11-11" in line for line in first_lines
    )


def test_docs_show_the_messages_as_they_render():
    docs = (ROOT / "docs" / "slack.md").read_text()
    for kind in ("digest", "resolved", "reminder"):
        text = (SNAPSHOTS / f"{kind}.txt").read_text().rstrip("\n")
        assert text in docs, f"docs/slack.md does not show the {kind} as it renders (tests/snapshots/slack/{kind}.txt)"
