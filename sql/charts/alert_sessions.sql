-- The sessions a warning or critical rule of $basket held (the chart marks its basket rules').
SELECT as_of, rule FROM alerts WHERE basket = $basket AND as_of BETWEEN $start AND $end AND severity <> 'info'
ORDER BY as_of, rule, subject;  -- a stable order: the chart is kept by its data (pipelines/channels/charts.py)
