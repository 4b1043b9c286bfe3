"""What the monitor decides: metrics, rule evaluation, episodes and their lifecycle, silences, history, checks."""
