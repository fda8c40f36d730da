-- Rate-limit counters shared by every replica (docs/admin/scaling.md): one row per rule, key and
-- fixed window, incremented by an upsert, so N replicas give the same limit as one. Old windows
-- are pruned by the replicas as they go; nothing here needs to survive a crash, hence UNLOGGED.
CREATE UNLOGGED TABLE rate_limit_windows (
    rule text NOT NULL,
    key text NOT NULL,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL DEFAULT 0,
    PRIMARY KEY (rule, key, window_start)
);
CREATE INDEX idx_rate_limit_windows_start ON rate_limit_windows (window_start);
