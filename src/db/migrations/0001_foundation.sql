-- Users, organizations, sessions and deployment-wide settings.

CREATE TYPE login_type AS ENUM ('password', 'token', 'none');
CREATE TYPE user_status AS ENUM ('active', 'suspended', 'dormant');

CREATE TABLE organizations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    display_name text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    icon text NOT NULL DEFAULT '',
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX idx_organization_name_lower ON organizations (lower(name));
CREATE UNIQUE INDEX organizations_single_default_org ON organizations (is_default) WHERE is_default = true;

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email text NOT NULL,
    username text NOT NULL,
    name text NOT NULL DEFAULT '',
    hashed_password bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    status user_status NOT NULL DEFAULT 'active',
    rbac_roles text[] NOT NULL DEFAULT '{}',
    login_type login_type NOT NULL DEFAULT 'password',
    avatar_url text NOT NULL DEFAULT '',
    deleted boolean NOT NULL DEFAULT false,
    last_seen_at timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    quiet_hours_schedule text NOT NULL DEFAULT '',
    theme_preference text NOT NULL DEFAULT '',
    hashed_one_time_passcode bytea,
    one_time_passcode_expires_at timestamptz,
    must_reset_password boolean NOT NULL DEFAULT false,
    is_system boolean NOT NULL DEFAULT false,
    CONSTRAINT one_time_passcode_set CHECK (
        (hashed_one_time_passcode IS NULL AND one_time_passcode_expires_at IS NULL)
        OR (hashed_one_time_passcode IS NOT NULL AND one_time_passcode_expires_at IS NOT NULL)
    )
);
CREATE UNIQUE INDEX users_email_lower_idx ON users (lower(email)) WHERE deleted = false;
CREATE UNIQUE INDEX users_username_lower_idx ON users (lower(username)) WHERE deleted = false;

CREATE TABLE organization_members (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    roles text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (organization_id, user_id)
);

-- A session or API token is "<id>-<secret>"; only a hash of the secret is kept.
CREATE TABLE api_keys (
    id text PRIMARY KEY,
    hashed_secret bytea NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_used timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    login_type login_type NOT NULL,
    lifetime_seconds bigint NOT NULL DEFAULT 86400,
    token_name text NOT NULL DEFAULT '',
    scope text NOT NULL DEFAULT 'all'
);
CREATE INDEX idx_api_key_user_id ON api_keys (user_id);
CREATE UNIQUE INDEX idx_api_key_name ON api_keys (user_id, token_name) WHERE login_type = 'token';

CREATE TABLE site_configs (
    key varchar(256) PRIMARY KEY,
    value text NOT NULL
);

INSERT INTO organizations (id, name, display_name, description, is_default)
VALUES ('d2a1c3b4-0000-4000-8000-000000000001', 'coder', 'Herald', 'The default organization.', true);

-- The system user that owns prebuilt workspaces (the reference's fixed id). It cannot log in.
INSERT INTO users (id, email, username, name, hashed_password, login_type, is_system, status)
VALUES ('c42fdf75-3097-471c-8c33-fb52454d81c0', 'prebuilds@system', 'prebuilds', 'Prebuilds', '\x'::bytea, 'none', true, 'active');
