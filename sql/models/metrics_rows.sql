SELECT count(*) FROM metrics_daily WHERE date BETWEEN $start AND $end;
