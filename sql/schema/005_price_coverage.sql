-- How far back each symbol's prices were asked of the source and answered: a symbol that failed on its first
-- night, or joins the watchlist later, is seen to lack its warm-up year and gets it on the next run.
CREATE TABLE IF NOT EXISTS price_coverage (
    ticker       VARCHAR PRIMARY KEY,
    covered_from DATE NOT NULL               -- the earliest session a fetch that returned bars started from
);
