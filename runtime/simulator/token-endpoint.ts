/**
 * `login/token.php` as Moodle answers it: username + password + service → `{token, privatetoken}`,
 * errors as HTTP 200 `{error, errorcode, stacktrace, debuginfo, reproductionlink}`.
 * Every seeded user's password is SIMULATOR_PASSWORD; the token is the user's simulator token
 * (the admin gets "its existing token", like Moodle; for others it is the token created on first call).
 */
import type { PhpFormValue } from '../moodle/form.ts';
import { SIMULATOR_PASSWORD, SIMULATOR_SERVICE, simulatorToken } from './data.ts';
import type { SimResponse } from './rest.ts';
import type { World } from './world.ts';

const TYPE = 'application/json; charset=utf-8';

export function handleTokenLogin(world: World, decoded: Record<string, PhpFormValue>): SimResponse {
  const field = (name: string) => (typeof decoded[name] === 'string' ? (decoded[name] as string) : undefined);
  const username = field('username');
  const password = field('password');
  const service = field('service');
  const missing = [['username', username], ['password', password], ['service', service]].find(([, v]) => v === undefined);
  if (missing) return fail('missingparam', `A required parameter (${missing[0]}) was missing`);
  const user = world.userByName((username as string).trim().toLowerCase());
  if (!user || password !== SIMULATOR_PASSWORD) return fail('invalidlogin', 'Invalid login, please try again');
  if (service !== SIMULATOR_SERVICE) return fail('servicenotavailable', "Web service is not available. (It doesn't exist or might be disabled.)");
  return { status: 200, contentType: TYPE, body: JSON.stringify({ token: simulatorToken(user.username), privatetoken: null }) };
}

function fail(errorcode: string, error: string): SimResponse {
  return {
    status: 200,
    contentType: TYPE,
    body: JSON.stringify({ error, errorcode, stacktrace: null, debuginfo: null, reproductionlink: null }),
  };
}
