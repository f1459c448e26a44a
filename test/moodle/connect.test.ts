// The plugin's connect endpoints client, on its transport failures: each says what happened.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createMoodleConnect } from '../../runtime/moodle/connect.ts';
import { MoodleError } from '../../runtime/moodle/errors.ts';

test('an answer whose body stops arriving is a timeout, not "answered more than 64 KiB"', async () => {
  const stalled = async (request: Request) =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"revoked":'));
          request.signal.addEventListener('abort', () => controller.error(request.signal.reason));
        },
      }),
      { status: 200, headers: { 'content-type': 'application/json' } },
    );
  const connect = createMoodleConnect({ url: 'https://moodle.example.edu', secret: 's', timeoutMs: 100, fetch: stalled });
  // AbortSignal.timeout's timer does not keep the process alive; a server's sockets do.
  const keepAlive = setTimeout(() => {}, 5_000);
  after(() => clearTimeout(keepAlive));
  await assert.rejects(connect.revoke('abc123'), (error: unknown) => {
    assert.ok(error instanceof MoodleError);
    assert.equal(error.code, 'timeout');
    assert.match(error.message, /revoke\.php did not answer within 100 ms/);
    return true;
  });
});

test('an answer past 64 KiB is response_too_large', async () => {
  const big = async () => new Response(JSON.stringify({ revoked: true, pad: 'x'.repeat(70 * 1024) }), { status: 200 });
  const connect = createMoodleConnect({ url: 'https://moodle.example.edu', fetch: big });
  await assert.rejects(connect.revoke('abc123'), (error: unknown) => error instanceof MoodleError && error.code === 'response_too_large');
});
