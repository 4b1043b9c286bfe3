-- The sessions a warning or critical rule held (the chart marks the sell-off rule's).
SELECT as_of, rule FROM alerts WHERE as_of BETWEEN $start AND $end AND severity <> 'info'
ORDER BY as_of, rule, subject;  -- a stable order: the chart is kept by its data (pipelines/charts.py)
