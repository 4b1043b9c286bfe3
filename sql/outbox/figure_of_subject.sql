-- One symbol's row on a session: a resolved notice reads its rule's figure from it (the rule names the column).
SELECT * FROM metrics_daily WHERE ticker = $subject AND date = $session;
