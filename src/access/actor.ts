// Who is calling, as every service sees it: the users and api_keys rows (their shapes are declared
// here so that access/ depends on nothing; the queries of auth/ and auth/users/ return them).

export interface UserRow {
  id: string;
  email: string;
  username: string;
  name: string;
  hashed_password: Uint8Array;
  created_at: Date;
  updated_at: Date;
  status: 'active' | 'suspended' | 'dormant';
  rbac_roles: string[];
  login_type: 'password' | 'token' | 'none';
  avatar_url: string;
  deleted: boolean;
  last_seen_at: Date;
  theme_preference: string;
  hashed_one_time_passcode: Uint8Array | null;
  one_time_passcode_expires_at: Date | null;
  must_reset_password: boolean;
  is_system: boolean;
}

export interface ApiKeyRow {
  id: string;
  hashed_secret: Uint8Array;
  user_id: string;
  last_used: Date;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
  login_type: 'password' | 'token' | 'none';
  lifetime_seconds: number;
  token_name: string;
  scope: string;
}


/** Who is calling: the authenticated user, the key they used and their roles. Services take it as an argument. */
export interface Actor {
  user: UserRow;
  key: ApiKeyRow;
  roles: string[];
}
