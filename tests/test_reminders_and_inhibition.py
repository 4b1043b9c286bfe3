"""Reminders are timed from the last message sent for an episode, and a basket's sell-off alert inhibits the
resolves of its names' own alerts while it holds (Alertmanager's inhibition): recorded for analysts, not sent."""

from pipelines import rules
from pipelines.channels.notify import notify
from tests.support.fake_slack import sender_for
from tests.support.scenario import NAMES, Market


def slide(tmp_path, plunge_only: str | None = None):
    """Every name falls 8% a session from session 10 (the sell-off holds night after night), ^IXIC 3%; with
    `plunge_only`, that name falls 15% once on session 10 and then stays flat (its own drop resolves)."""
    m = Market(tmp_path / "mm.duckdb", NAMES)
    days = []
    for name in NAMES:
        if name == plunge_only:
            closes = [100.0] * 10 + [85.0] * 12
        else:
            closes = [100.0 * 0.92 ** max(0, i - 9) for i in range(22)]
        days = m.series(name, "2025-10-20", closes)
        m.shares(name, "2025-01-02", 1e9)
    m.series("^IXIC", "2025-10-20", [1000.0 * 0.97 ** max(0, i - 9) for i in range(22)])
    if plunge_only:
        m.with_rules(sector_selloff=m.cfg.rules.sector_selloff.replace(min_names_down=3))
    rules.store_findings(m.con, m.compute(days[0], days[-1]), days[0], days[-1])
    return m, days


def sent(m: Market, rule: str, subject: str | None = None) -> list[tuple]:
    where = "AND subject = ?" if subject else ""
    params = [rule, subject] if subject else [rule]
    return m.con.execute(
        f"SELECT transition, session FROM alert_events WHERE notify AND rule = ? {where} ORDER BY session", params
    ).fetchall()


def test_an_episode_announced_on_a_catch_up_night_is_reminded_five_sessions_after_that_message(tmp_path, slack):
    """The scheduler was down: the first run is on session 14, four sessions into the sell-off. It is announced then
    as firing; the reminder comes five sessions after that message (19), not on the next evening because the
    episode's own five sessions (from 10) ran out on 15."""
    m, days = slide(tmp_path)
    for night in days[14:21]:
        notify(m.con, m.cfg, night, {night}, sender_for(slack), run_url=None)
    assert sent(m, "sector_selloff") == [("firing", days[14]), ("repeat", days[19])]
    quiet = m.con.execute(
        "SELECT notify FROM alert_events WHERE rule = 'sector_selloff' AND transition = 'repeat' AND session = ?",
        [days[15]],
    ).fetchall()
    assert quiet == [(False,)]  # the repeat the episode's own clock derived is recorded, not sent
    headlines = [p["text"].splitlines()[0] for p in slack.posts()]
    assert sum("Sector sell-off" in h for h in headlines) == 2


def test_a_names_resolve_stays_quiet_while_its_basket_s_sell_off_holds(tmp_path, slack):
    m, days = slide(tmp_path, plunge_only="AAA")
    for night in days[10:21]:
        notify(m.con, m.cfg, night, {night}, sender_for(slack), run_url=None)
    [(session, notified, inhibited_by)] = m.con.execute(
        "SELECT session, notify, inhibited_by FROM alert_events "
        "WHERE rule = 'stock_drop_5d' AND subject = 'AAA' AND transition = 'resolve'"
    ).fetchall()
    assert (session, notified) == (days[16], False)
    assert inhibited_by == f"ai|sector_selloff|WATCHLIST|{days[10]}"
    assert not [p for p in slack.posts() if p["text"].startswith("Resolved") and "AAA" in p["text"]]
    assert sent(m, "sector_selloff")[0] == ("open", days[10])  # the basket alert still holds on session 16
