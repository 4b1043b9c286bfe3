-- A run's findings in one statement, from the registered frame `incoming_findings`.
INSERT INTO alerts BY NAME
SELECT basket, rule, subject, CAST(as_of AS DATE) AS as_of, severity, CAST(metrics AS JSON) AS metrics, message
FROM incoming_findings;
