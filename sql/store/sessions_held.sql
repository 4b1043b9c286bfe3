SELECT count(*), max(date) FROM trading_sessions;
