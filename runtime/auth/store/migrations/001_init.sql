-- moodle-mcp auth store, schema version 1: connections (API keys, OAuth grants) and oidc-provider state.
CREATE TABLE connections (
  id               text PRIMARY KEY,
  kind             text NOT NULL CHECK (kind IN ('apikey', 'oauth')),
  name             text,
  profile          text NOT NULL,
  scopes           text[] NOT NULL,
  key_hash         text UNIQUE,
  key_prefix       text,
  moodle_token_enc text,
  moodle_user_id   integer,
  moodle_username  text,
  moodle_user      jsonb,
  client           jsonb,
  grant_id         text UNIQUE,
  created_at       timestamptz NOT NULL,
  last_used_at     timestamptz,
  expires_at       timestamptz,
  revoked_at       timestamptz
);
CREATE INDEX connections_moodle_user_id ON connections (moodle_user_id);
CREATE INDEX connections_moodle_username ON connections (moodle_username);

CREATE TABLE oidc_records (
  model      text NOT NULL,
  id         text NOT NULL,
  payload    jsonb NOT NULL,
  grant_id   text,
  user_code  text,
  uid        text,
  account_id text,
  expires_at timestamptz,
  consumed   boolean NOT NULL DEFAULT false,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_records_grant_id ON oidc_records (grant_id);
CREATE INDEX oidc_records_uid ON oidc_records (model, uid);
CREATE INDEX oidc_records_user_code ON oidc_records (model, user_code);
CREATE INDEX oidc_records_account_id ON oidc_records (account_id);
CREATE INDEX oidc_records_expires_at ON oidc_records (expires_at);
