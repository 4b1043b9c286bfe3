-- The findings of one episode of a basket's rule and subject: from its opening to the session it resolved.
SELECT as_of, metrics FROM alerts
WHERE basket = $basket AND rule = $rule AND subject = $subject AND as_of >= $start AND as_of < $end
ORDER BY as_of;
