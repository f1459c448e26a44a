// Test helpers for the auth area: a fake Moodle (token.php + site info), a key ring, a writable sink (shared, test/helpers/io.ts).
import { randomBytes } from 'node:crypto';
import { encryptionKey, type Keyring } from '../../runtime/auth/crypto.ts';
import { MoodleError } from '../../runtime/moodle/errors.ts';
import type { SiteInfo } from '../../runtime/moodle/site-info.ts';

export function testKeyring(): Keyring {
  return { current: encryptionKey(randomBytes(32)) };
}

/** Collects everything written to it (stdout/stderr of a CLI command, log lines): the shared text sink. */
export { TextSink as Sink } from '../helpers/io.ts';

interface FakeUser {
  id: number;
  username: string;
  password: string;
  admin?: boolean;
}

/**
 * A fake Moodle for auth tests: login/token.php (invalidlogin, servicenotavailable) and core_webservice_get_site_info,
 * answering with Moodle's own error codes and shapes as recorded in shared/moodle.
 */
export function fakeMoodle(options: { users?: FakeUser[]; service?: string } = {}) {
  const users = options.users ?? [
    { id: 3, username: 'student1', password: 'Student-pass-1!' },
    { id: 4, username: 'teacher1', password: 'Teacher-pass-1!' },
    { id: 2, username: 'admin', password: 'Admin-pass-1!', admin: true },
  ];
  const service = options.service ?? 'mcp';
  const tokens = new Map<string, FakeUser>();
  const calls: { fn: string; username?: string }[] = [];
  // As Moodle's login/token.php: one permanent token per person (and service), created on first use, then the same.
  const issued = new Map<string, string>();
  const issue = (u: FakeUser) => {
    const existing = issued.get(u.username);
    if (existing && tokens.has(existing)) return existing;
    const token = randomBytes(16).toString('hex');
    tokens.set(token, u);
    issued.set(u.username, token);
    return token;
  };
  return {
    calls,
    tokens,
    /** Gives a token for a user directly (as Moodle's security keys page would). */
    tokenFor(username: string) {
      return issue(users.find((u) => u.username === username)!);
    },
    async tokenLogin(username: string, password: string, svc: string) {
      calls.push({ fn: 'tokenLogin', username });
      // Moodle checks the password first, the service then (a wrong password never reveals whether the service exists).
      const u = users.find((x) => x.username === username && x.password === password);
      if (!u) throw new MoodleError('invalidlogin', 'Invalid login, please try again', { exception: 'moodle_exception' });
      if (svc !== service) throw new MoodleError('servicenotavailable', 'Web service is not available (it doesn\'t exist or might be disabled)', { exception: 'moodle_exception' });
      return { token: issue(u), privateToken: null };
    },
    async getSiteInfo(token: string): Promise<SiteInfo> {
      calls.push({ fn: 'getSiteInfo' });
      const u = tokens.get(token);
      if (!u) throw new MoodleError('invalidtoken', 'Invalid token - token not found', { exception: 'moodle_exception' });
      return {
        sitename: 'Test site', username: u.username, firstname: u.username, lastname: 'User', fullname: `${u.username} User`,
        userid: u.id, siteurl: 'http://moodle.test', release: '4.5.6', version: '2024100706', functions: [], userissiteadmin: !!u.admin,
      };
    },
  };
}
