import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthError } from '../../runtime/auth/errors.ts';
import type { CatalogFunction } from '../../runtime/catalog/types.ts';
import { createStepUp } from '../../runtime/gateway/step-up.ts';
import type { CallContext } from '../../runtime/mcp/context.ts';

const ctx: CallContext = {
  connection: { id: 'c1', authMethod: 'oauth', profile: 'p', scopes: ['api.read'], moodleToken: 't' },
  clientIp: '127.0.0.1',
  requestId: 'r1',
};
const call = (name: string, args: Record<string, unknown>) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });
const viaMeta = call('moodle_call_function', { name: 'mod_forum_add_discussion', arguments: {} });

function stepUp(meta: boolean) {
  return createStepUp({
    writesPossible: () => true,
    // As the gateway wires it: only catalog functions can be missing from a site (here: the forum one).
    siteLacks: (connection, name) => name === 'mod_forum_add_discussion' && connection.siteFunctions !== undefined && !connection.siteFunctions.names.has(name),
    getFunction: (name) => (name === 'mod_forum_add_discussion' ? ({ name, access: 'write' } as CatalogFunction) : undefined),
    isDirect: (tool) => tool === 'mod_forum_add_discussion',
    meta,
    errorResponse: (error: AuthError) => Response.json({ error: error.code }, { status: error.status }),
  });
}

test('a read-only OAuth grant calling a write function, directly or through moodle_call_function, is asked to step up', () => {
  assert.equal(stepUp(true)(call('mod_forum_add_discussion', {}), ctx)?.status, 403);
  assert.equal(stepUp(true)([viaMeta], ctx)?.status, 403);
});

test('with expose.meta off, moodle_call_function is no target: the call goes on (to be refused as an unknown tool)', () => {
  assert.equal(stepUp(false)(viaMeta, ctx), undefined);
  assert.equal(stepUp(false)(call('mod_forum_add_discussion', {}), ctx)?.status, 403);
});

test("a write function the connection's site does not offer asks for no step-up: the pipeline refuses it (function_not_on_site)", () => {
  const onSite = (names: string[]): CallContext => ({ ...ctx, connection: { ...ctx.connection, siteFunctions: { id: names.join(), names: new Set(names) } } });
  assert.equal(stepUp(true)(call('mod_forum_add_discussion', {}), onSite(['core_webservice_get_site_info'])), undefined);
  assert.equal(stepUp(true)([viaMeta], onSite(['core_webservice_get_site_info'])), undefined);
  assert.equal(stepUp(true)(call('mod_forum_add_discussion', {}), onSite(['mod_forum_add_discussion']))?.status, 403);
});
