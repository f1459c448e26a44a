#!/usr/bin/env bash
# Sets up the DEV Moodle of ../shared/moodle/real (after its setup.sh, or after setup.sh --reset) for the connect flow
# of local_moodlemcp (issue 18): installs/upgrades the plugin from codegen/moodle/local_moodlemcp, configures it,
# starts the dev OpenID Connect IdP (oidc-idp.mjs, 127.0.0.1:4000) and makes it a Moodle OAuth 2 issuer with an SSO
# account (sso.student, student in course 2) that login/token.php cannot use. Re-runnable; writes only to the dev
# Moodle (/opt/NAME, its database and moodledata) and /opt/NAME-out. See README.md in this folder.
# Moodle accepts OAuth 2 issuers on https only: the IdP gets a certificate from a dev CA made here ($OUT/idp-tls/),
# and that CA is added, for this Moodle only, to a CA bundle in its moodledata (moodleorgca.crt, which Moodle's curl
# uses before the system bundle).
# With --mfa also multi-factor authentication (tool_mfa, TOTP) for a manual account mfa.student ($OUT/mfa.json).
# Usage: bash scripts/real-moodle/setup-connect.sh [--name moodle] [--idp-port 4000] [--no-idp] [--mfa]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
NAME=moodle IDP_PORT=4000 START_IDP=1 MFA=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --name) NAME=$2; shift 2 ;;
    --idp-port) IDP_PORT=$2; shift 2 ;;
    --no-idp) START_IDP=0; shift ;;
    --mfa) MFA=1; shift ;;
    *) echo "setup-connect: unknown option $1" >&2; exit 2 ;;
  esac
done
CODE=/opt/$NAME OUT=/opt/$NAME-out DATA=/opt/${NAME}data
[[ -f $CODE/config.php && -d $OUT ]] || { echo "setup-connect: no dev Moodle at $CODE (run ../shared/moodle/real/setup.sh first)" >&2; exit 1; }
WWW=$(sed -n "s/^\$CFG->wwwroot *= *'\(.*\)';.*/\1/p" "$CODE/config.php")
as_www() { (cd "$CODE" && runuser -u www-data -- "$@"); }
say() { echo "setup-connect: $*"; }

# 1. The plugin, from this checkout.
say "installing codegen/moodle/local_moodlemcp into $CODE/local/moodlemcp"
rm -rf "$CODE/local/moodlemcp.new"
cp -r codegen/moodle/local_moodlemcp "$CODE/local/moodlemcp.new"
chown -R www-data:www-data "$CODE/local/moodlemcp.new"
rm -rf "$CODE/local/moodlemcp"
mv "$CODE/local/moodlemcp.new" "$CODE/local/moodlemcp"
as_www php admin/cli/upgrade.php --non-interactive | tail -3
as_www php admin/cli/purge_caches.php

# 2. TLS for the IdP: a dev CA and a certificate for 127.0.0.1 / localhost; Moodle's curl trusts the CA.
TLS=$OUT/idp-tls
if [[ ! -s $TLS/idp.crt ]]; then
  mkdir -p "$TLS"; chmod 700 "$TLS"
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=moodle-mcp dev IdP CA" \
    -keyout "$TLS/ca.key" -out "$TLS/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$TLS/idp.key" -out "$TLS/idp.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$TLS/ext.cnf"
  openssl x509 -req -in "$TLS/idp.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial -days 825 \
    -extfile "$TLS/ext.cnf" -out "$TLS/idp.crt" 2>/dev/null
  say "made a dev CA and an IdP certificate in $TLS"
fi
cat /etc/ssl/certs/ca-certificates.crt "$TLS/ca.crt" > "$DATA/moodleorgca.crt"
chown www-data:www-data "$DATA/moodleorgca.crt"

# 3. Secrets, outside the repo: the gateway secret and the IdP's client and user passwords.
umask 077
if [[ ! -s $OUT/connect-secret ]]; then
  node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))' > "$OUT/connect-secret"
fi
if [[ ! -s $OUT/idp.json ]]; then
  node - "$OUT/idp.json" "$IDP_PORT" "$WWW" "$TLS" <<'JS'
const [file, port, www, tls] = process.argv.slice(2);
const rnd = () => require('crypto').randomBytes(18).toString('base64url');
require('fs').writeFileSync(file, JSON.stringify({
  issuer: `https://127.0.0.1:${port}`, port: Number(port), tls: { key: `${tls}/idp.key`, cert: `${tls}/idp.crt`, ca: `${tls}/ca.crt` },
  client: { client_id: 'moodle-dev', client_secret: rnd(), redirect_uris: [`${www}/admin/oauth2callback.php`] },
  gateway_callbacks: ['http://127.0.0.1:3999/oauth/moodle/callback', 'http://localhost:3999/oauth/moodle/callback'],
  users: { 'sso.student': { password: rnd(), email: 'sso.student@northbridge.example', given_name: 'Sam', family_name: 'Ssoworth' } },
}, null, 2) + '\n');
JS
fi
chmod 640 "$OUT/connect-secret" "$OUT/idp.json"; chgrp www-data "$OUT/connect-secret" "$OUT/idp.json"
MFA_ARG=()
if [[ $MFA == 1 ]]; then
  if [[ ! -s $OUT/mfa.json ]]; then
    node - "$OUT/mfa.json" <<'JS'
const { randomBytes, randomInt } = require('crypto');
const base32 = Array.from({ length: 16 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[randomInt(32)]).join('');
require('fs').writeFileSync(process.argv[2], JSON.stringify({ username: 'mfa.student', password: `Mfa-${randomBytes(9).toString('base64url')}-1`, totpsecret: base32 }, null, 2) + '\n');
JS
  fi
  chmod 640 "$OUT/mfa.json"; chgrp www-data "$OUT/mfa.json"
  MFA_ARG=("$OUT/mfa.json")
fi
umask 022

# 4. The IdP (a background process; its pid in $OUT/oidc-idp.pid, its log in $OUT/oidc-idp.log).
ISSUER=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).issuer)' "$OUT/idp.json")
if [[ $START_IDP == 1 ]]; then
  if [[ -s $OUT/oidc-idp.pid ]] && kill -0 "$(cat "$OUT/oidc-idp.pid")" 2>/dev/null; then
    say "IdP already running (pid $(cat "$OUT/oidc-idp.pid"))"
  else
    nohup node scripts/real-moodle/oidc-idp.mjs --config "$OUT/idp.json" >> "$OUT/oidc-idp.log" 2>&1 &
    echo $! > "$OUT/oidc-idp.pid"
    say "IdP started (pid $!, log $OUT/oidc-idp.log)"
  fi
fi
for _ in $(seq 30); do curl -sf --cacert "$TLS/ca.crt" "$ISSUER/.well-known/openid-configuration" >/dev/null && break; sleep 0.5; done
curl -sf --cacert "$TLS/ca.crt" "$ISSUER/.well-known/openid-configuration" >/dev/null || { echo "setup-connect: the IdP does not answer on $ISSUER" >&2; exit 1; }

# 5. Moodle: settings, curl exceptions, issuer, auth_oauth2, SSO accounts.
cp scripts/real-moodle/connect-setup.php "$OUT/.connect-setup.php"; chown www-data "$OUT/.connect-setup.php"
as_www php "$OUT/.connect-setup.php" "$CODE" "$OUT/idp.json" "$OUT/connect-secret" "${MFA_ARG[@]}"
rm -f "$OUT/.connect-setup.php"

# 6. Check.
say "connectinfo: $(curl -s "$WWW/local/moodlemcp/connectinfo.php")"
say "done. Secret: $OUT/connect-secret; IdP users and client: $OUT/idp.json; stop the IdP with: kill \$(cat $OUT/oidc-idp.pid)"
