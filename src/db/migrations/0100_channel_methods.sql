-- Native channels as delivery methods (issue 20). Added values are only used after this commits.
ALTER TYPE notification_method ADD VALUE IF NOT EXISTS 'slack';
ALTER TYPE notification_method ADD VALUE IF NOT EXISTS 'teams';
ALTER TYPE notification_method ADD VALUE IF NOT EXISTS 'discord';
ALTER TYPE notification_method ADD VALUE IF NOT EXISTS 'webpush';
