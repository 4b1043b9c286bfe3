-- Inhibition (as in Alertmanager): while a basket's sell-off alert holds, the resolves of its names' own alerts are
-- recorded but not sent; this names the basket alert's episode that kept one quiet (NULL: none did).
ALTER TABLE alert_events ADD COLUMN IF NOT EXISTS inhibited_by VARCHAR;
