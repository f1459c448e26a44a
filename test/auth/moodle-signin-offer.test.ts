// Whether "Sign in with <site>" is offered (oauth.moodle_signin): `on` always, `auto` from connectinfo.php, asked once
// for concurrent pages and remembered (a failed probe offers nothing and is asked again sooner).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { offerCheck } from '../../runtime/auth/oauth/moodle-signin.ts';
import type { MoodleConnect } from '../../runtime/moodle/connect.ts';
import { MoodleError } from '../../runtime/moodle/errors.ts';

function fakeConnect(answers: (() => Promise<{ enabled: boolean }>)[]) {
  let calls = 0;
  const connect = { info: () => answers[Math.min(calls++, answers.length - 1)]() } as unknown as MoodleConnect;
  return { connect, calls: () => calls };
}

it('on offers without asking Moodle', async () => {
  const f = fakeConnect([async () => ({ enabled: false })]);
  assert.equal(await offerCheck(f.connect, 'on')(), true);
  assert.equal(f.calls(), 0);
});

it('auto asks connectinfo.php once for concurrent pages and remembers the answer', async () => {
  const f = fakeConnect([async () => ({ enabled: true }), async () => ({ enabled: false })]);
  const offered = offerCheck(f.connect, 'auto');
  assert.deepEqual(await Promise.all([offered(), offered(), offered()]), [true, true, true]);
  assert.equal(await offered(), true);
  assert.equal(f.calls(), 1);
});

it('auto: a plugin that is off, or Moodle unreachable, offers nothing', async () => {
  assert.equal(await offerCheck(fakeConnect([async () => ({ enabled: false })]).connect, 'auto')(), false);
  const down = fakeConnect([async () => Promise.reject(new MoodleError('network', 'connectinfo.php could not be reached'))]);
  const offered = offerCheck(down.connect, 'auto');
  assert.equal(await offered(), false);
  assert.equal(await offered(), false);
  assert.equal(down.calls(), 1, 'the failure is remembered for a while too');
});
