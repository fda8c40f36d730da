-- Rate-limit counters shared by every replica (docs/admin/scaling.md): one row per rule and key,
-- holding the current window (it starts with the key's first hit and lasts the rule's length),
-- counted by an upsert, so N replicas give the same limit as one. Windows that ended are pruned by
-- the replicas as they go; nothing here needs to survive a crash, hence UNLOGGED.
CREATE UNLOGGED TABLE rate_limit_windows (
    rule text NOT NULL,
    key text NOT NULL,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL,
    PRIMARY KEY (rule, key)
);
CREATE INDEX idx_rate_limit_windows_start ON rate_limit_windows (window_start);
