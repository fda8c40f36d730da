-- Critical notification templates (issue 17): a notice a user cannot switch off, because without it
-- the account cannot be recovered or its state is not known to its owner. Their e-mails carry no
-- "Stop receiving emails like this" link, preferences cannot disable them, and any earlier choice
-- that disabled one is cleared.
ALTER TABLE notification_templates ADD COLUMN critical boolean NOT NULL DEFAULT false;

UPDATE notification_templates SET critical = true WHERE id IN (
  '62f86a30-2330-4b61-a26d-311ff3b608cf', -- One-Time Passcode (password reset)
  '6a2f0609-9b69-4d36-a989-9f5925b6cbff', -- Your account has been suspended
  '1a6a6bea-ee0a-43e2-9e7c-eabdb53730e4'  -- Your account has been activated
);

UPDATE notification_preferences SET disabled = false, disabled_methods = '{}', updated_at = now()
WHERE notification_template_id IN (SELECT id FROM notification_templates WHERE critical)
  AND (disabled OR cardinality(disabled_methods) > 0);

-- The preference guard (0020) lets a critical template through whatever the stored preference.
CREATE OR REPLACE FUNCTION inhibit_enqueue_if_disabled_stmt() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM new_messages n
        JOIN notification_templates nt ON nt.id = n.notification_template_id
        LEFT JOIN notification_preferences np
            ON np.notification_template_id = nt.id AND np.user_id = n.user_id
        WHERE NOT nt.critical
          AND (np.disabled = true OR (nt.enabled_by_default = false AND np.notification_template_id IS NULL))
    ) THEN
        RAISE EXCEPTION 'cannot enqueue message: notification is not enabled';
    END IF;
    RETURN NULL;
END;
$$;
