-- watchlist_daily of every basket for [$start, $end], in one statement: $baskets, $tickers, $benchmarks and
-- $name_returns are parallel lists, an item per basket and name (its benchmark and its sell-off rule's breadth
-- threshold). 5-session changes are summed over the
-- names with a market cap at both ends of the window, so an IPO inside it is not a gain and a missing bar is not a
-- loss. Sums are ordered by ticker: floating-point addition depends on order, and a re-run must give identical rows.
DELETE FROM watchlist_daily WHERE list_contains($baskets, basket) AND date BETWEEN $start AND $end;

INSERT INTO watchlist_daily BY NAME
WITH basket_members AS (
    SELECT unnest($baskets::VARCHAR[]) AS basket, unnest($tickers::VARCHAR[]) AS ticker,
           unnest($benchmarks::VARCHAR[]) AS benchmark, unnest($name_returns::DOUBLE[]) AS name_return_5d
),
first_bar AS (
    SELECT n.ticker, min(p.date) AS first_date
    FROM (SELECT DISTINCT ticker FROM basket_members) n LEFT JOIN prices_daily p ON p.ticker = n.ticker
    GROUP BY n.ticker
),
days AS (SELECT date, session_idx FROM trading_sessions WHERE date BETWEEN $start AND $end),
expected AS (
    SELECT m.basket, m.benchmark, m.name_return_5d, d.date, d.session_idx, m.ticker
    FROM basket_members m
    JOIN first_bar f ON f.ticker = m.ticker
    JOIN days d ON f.first_date IS NULL OR f.first_date <= d.date
),
joined AS (
    SELECT e.basket, e.benchmark, e.name_return_5d, e.date, e.ticker, m.ticker IS NOT NULL AS has_bar,
           m.market_cap, m.return_5d, prev.market_cap AS cap_5_ago
    FROM expected e
    LEFT JOIN metrics_daily m ON m.ticker = e.ticker AND m.date = e.date
    LEFT JOIN trading_sessions s5 ON s5.session_idx = e.session_idx - 5
    LEFT JOIN metrics_daily prev ON prev.ticker = e.ticker AND prev.date = s5.date
)
SELECT j.basket, j.date,
       count(*) FILTER (WHERE j.has_bar) AS n_constituents,
       count(*) AS n_expected,
       coalesce(list(j.ticker ORDER BY j.ticker) FILTER (WHERE NOT j.has_bar), []) AS missing_tickers,
       count(j.market_cap) AS n_with_market_cap,
       sum(j.market_cap ORDER BY j.ticker) AS total_market_cap,
       count(*) FILTER (WHERE j.market_cap IS NOT NULL AND j.cap_5_ago IS NOT NULL) AS n_cap_pairs,
       sum(j.market_cap - j.cap_5_ago ORDER BY j.ticker) AS cap_change_5d,
       sum(j.market_cap - j.cap_5_ago ORDER BY j.ticker)
           / sum(j.cap_5_ago ORDER BY j.ticker) FILTER (WHERE j.market_cap IS NOT NULL) AS cap_return_5d,
       count(*) FILTER (WHERE j.return_5d <= j.name_return_5d + 1e-9) AS n_names_down,  -- the sell-off rule's breadth
       -- ties (equal returns) go to the first ticker by name: arg_min took whichever row the scan met first
       first(j.ticker ORDER BY j.return_5d, j.ticker) FILTER (WHERE j.return_5d IS NOT NULL) AS worst_ticker,
       min(j.return_5d) AS worst_return_5d,
       any_value(b.return_5d) AS benchmark_return_5d
FROM joined j
LEFT JOIN metrics_daily b ON b.ticker = j.benchmark AND b.date = j.date
GROUP BY j.basket, j.date;
