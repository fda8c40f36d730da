-- Grouped messages (issue 19) in the inbox: the members a grouped message stands for, so the
-- dashboard can show the group as one item that expands. NULL for every other row.
ALTER TABLE inbox_notifications
    ADD COLUMN group_info jsonb;
