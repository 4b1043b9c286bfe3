-- The held counts of this load's tickers become those of frame `held` (confirmed and one-off ones leave).
DELETE FROM shares_held WHERE list_contains($tickers, ticker);
INSERT INTO shares_held BY NAME SELECT *, $source AS source, $fetched_at AS fetched_at FROM held;
