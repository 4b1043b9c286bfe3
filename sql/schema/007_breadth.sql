-- One breadth figure: names whose 5-session return is at or below the sector_selloff rule's name_return_5d
-- (it used to count any fall, so a message could say "6 of 6 down" under "5 of 6 fell 5% or more"). Rows
-- computed before this change are set unknown (NULL) rather than left with the old meaning; every run
-- recomputes its window, and `market-monitor run --start <history.start>` recomputes them all.
ALTER TABLE watchlist_daily RENAME COLUMN n_down_5d TO n_names_down;
ALTER TABLE watchlist_daily ALTER COLUMN n_names_down DROP NOT NULL;
UPDATE watchlist_daily SET n_names_down = NULL;
