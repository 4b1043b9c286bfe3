-- A new silence; its id is the next number (silences are few and written by hand).
INSERT INTO silences BY NAME
SELECT coalesce((SELECT max(id) FROM silences), 0) + 1 AS id, $basket AS basket, $rule AS rule, $subject AS subject,
       CAST($until AS DATE) AS until, $reason AS reason, $created_by AS created_by,
       CAST($now AS TIMESTAMP) AS created_at
RETURNING id;
