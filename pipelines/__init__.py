"""market-monitor: daily AI-sector market data, November-style sell-off rules and Slack alerts."""
