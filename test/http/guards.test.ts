import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHostname } from '../../runtime/http/guards.ts';

test('isLoopbackHostname: the loopback names of a URL, IPv6 in brackets', () => {
  for (const url of ['http://localhost:3000/cb', 'http://127.0.0.1/', 'http://[::1]:8080/']) assert.equal(isLoopbackHostname(new URL(url).hostname), true, url);
  for (const url of ['http://example.edu/', 'http://127.0.0.2/', 'http://localhost.example.edu/', 'http://10.0.0.1/']) assert.equal(isLoopbackHostname(new URL(url).hostname), false, url);
});
