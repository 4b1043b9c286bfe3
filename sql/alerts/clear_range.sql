-- A re-evaluated range replaces its findings.
DELETE FROM alerts WHERE as_of BETWEEN $start AND $end;
