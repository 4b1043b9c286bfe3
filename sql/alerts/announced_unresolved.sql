-- Episodes opened by $until that were announced and never resolved, with every severity they were recorded at
-- (the caller picks the worst: the severity order is defined once, in pipelines/rules/base.py).
SELECT episode_key, any_value(basket), any_value(rule), any_value(subject), any_value(opened_on), list(DISTINCT severity)
FROM alert_events
WHERE opened_on <= $until
GROUP BY episode_key
HAVING bool_or(notify AND transition <> 'resolve') AND NOT bool_or(transition = 'resolve');
