#!/usr/bin/env node
// Security checks of local_moodlemcp's connect flow on the DEV Moodle (no browser, no callback server: the redirect
// with the code is read from the Location header). As the manual student emma.johansson: the confirm page's framing and
// caching headers; a client name with HTML (the token name Moodle prints unescaped must not carry it); whether
// Preferences > Security keys (/user/managetoken.php) shows the new token's value afterwards; redeem.php's headers; two
// concurrent redeems of one code (at most one gets the token, and the token is then revoked). Cleans up the tokens it
// made (revoke.php). Prints what happened (never a token or secret). Needs setup-connect.sh first; run as root.
// Usage: node scripts/real-moodle/security-probe.mjs [--name moodle]
import { readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { name: { type: 'string', default: 'moodle' } } });
const OUT = `/opt/${values.name}-out`;
const config = readFileSync(`/opt/${values.name}/config.php`, 'utf8');
const WWW = /\$CFG->wwwroot\s*=\s*'([^']+)'/.exec(config)[1];
const DBNAME = /\$CFG->dbname\s*=\s*'([^']+)'/.exec(config)[1];
const SECRET = readFileSync(`${OUT}/connect-secret`, 'utf8').trim();
const CALLBACK = 'http://127.0.0.1:3999/oauth/moodle/callback';
const USER = 'emma.johansson';
const PASSWORD = 'Moodle-Dev-2026!';

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}`);
  if (!ok) failures++;
}
const sql = (query) => execFileSync('runuser', ['-u', 'postgres', '--', 'psql', '-X', '-q', '-At', '-F', '|', DBNAME, '-c', query],
  { cwd: '/', encoding: 'utf8' }).trim();

/** A browser-like session: cookies kept, redirects not followed. */
function session() {
  const jar = new Map();
  return async function request(path, init = {}) {
    const res = await fetch(path.startsWith('http') ? path : `${WWW}${path}`, {
      redirect: 'manual', ...init, headers: { ...(init.headers ?? {}), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
}

function start(client) {
  const verifier = randomBytes(32).toString('base64url');
  const params = {
    return_to: CALLBACK, state: randomBytes(16).toString('base64url'), code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256', client, gateway: 'security-probe.mjs', valid_until: '0',
  };
  return { verifier, params };
}
const redeem = (flow, code) => fetch(`${WWW}/local/moodlemcp/redeem.php`, { method: 'POST',
  body: new URLSearchParams({ code, code_verifier: flow.verifier, redirect_uri: CALLBACK, secret: SECRET }) });
const revoke = async (token) => (await (await fetch(`${WWW}/local/moodlemcp/revoke.php`, { method: 'POST', body: new URLSearchParams({ token }) })).json()).revoked;

const browser = session();
const login = await browser('/login/index.php');
const logintoken = /name="logintoken" value="([^"]+)"/.exec(login.text)[1];
const signedIn = await browser('/login/index.php', { method: 'POST', body: new URLSearchParams({ username: USER, password: PASSWORD, logintoken }) });
check(signedIn.status === 303 || signedIn.status === 302, `signed in as ${USER} (${signedIn.status})`);

/** Opens the confirm page and presses Connect; returns the code from the redirect. */
async function connect(flow, onPage = () => {}) {
  const page = await browser(`/local/moodlemcp/connect.php?${new URLSearchParams(flow.params)}`);
  onPage(page);
  const sesskey = /name="sesskey" value="([^"]+)"/.exec(page.text)?.[1];
  const posted = await browser('/local/moodlemcp/connect.php', { method: 'POST', body: new URLSearchParams({ ...flow.params, action: 'connect', sesskey }) });
  const location = posted.headers.get('location') ?? '';
  return new URL(location).searchParams.get('code');
}

const made = [];
try {
  console.log('== 1. confirm page headers; a client name with HTML');
  const html = start('<u>probe</u>');
  const code = await connect(html, (page) => {
    check(page.status === 200, `confirm page: ${page.status}`);
    const csp = page.headers.get('content-security-policy') ?? '';
    check(/frame-ancestors 'none'/.test(csp), `Content-Security-Policy: ${csp || '(none)'}`);
    check(/^(DENY|sameorigin)$/i.test(page.headers.get('x-frame-options') ?? ''), `X-Frame-Options: ${page.headers.get('x-frame-options') ?? '(none)'}`);
    check(page.text.includes('&lt;u&gt;probe&lt;/u&gt;') && !page.text.includes('<u>probe</u>'), 'the confirm page escapes the client name');
  });
  check(Boolean(code), 'Connect redirected to the callback with a code');

  console.log('== 2. after connecting: Preferences > Security keys');
  const keys = await browser('/user/managetoken.php');
  const res = await redeem(html, code);
  const body = await res.json();
  check(res.status === 200 && Boolean(body.token), `redeem: ${res.status}`);
  check(res.headers.get('cache-control')?.includes('no-store'), `redeem Cache-Control: ${res.headers.get('cache-control')}`);
  check(/application\/json/.test(res.headers.get('content-type') ?? ''), `redeem Content-Type: ${res.headers.get('content-type')}`);
  made.push(body.token);
  check(!keys.text.includes(body.token), `/user/managetoken.php (${keys.status}) does not show the new token's value`);
  const name = sql(`SELECT name FROM mdl_external_tokens WHERE token = '${body.token.replace(/[^0-9a-f]/g, '')}'`);
  check(!/[<>]/.test(name), `token name in Moodle has no HTML: ${name}`);

  console.log('== 3. two concurrent redeems of one code');
  const race = start('race');
  const raceCode = await connect(race);
  const answers = await Promise.all([redeem(race, raceCode), redeem(race, raceCode)]);
  const bodies = await Promise.all(answers.map((a) => a.json()));
  const winners = bodies.filter((b) => b.token);
  for (const b of winners) made.push(b.token);
  check(winners.length <= 1, `statuses ${answers.map((a) => a.status).join(', ')}: at most one redeem got the token`);
  const left = winners.length ? sql(`SELECT count(*) FROM mdl_external_tokens WHERE token = '${winners[0].token.replace(/[^0-9a-f]/g, '')}'`) : '0';
  check(left === '0', 'the loser\'s redeem revoked the token (a replay)');
} finally {
  for (const token of made) await revoke(token);
}
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
