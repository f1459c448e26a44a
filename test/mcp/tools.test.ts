// ToolRegistry: what a caller may list is the catalog ∩ the functions its site offers (when known) ∩ the policy,
// cached per caller kind and per distinct site function list.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadCatalog, type LoadedCatalog } from '../../runtime/catalog/index.ts';
import type { CallContext } from '../../runtime/mcp/context.ts';
import { ToolRegistry } from '../../runtime/mcp/tools.ts';
import { ctx } from './harness.ts';

let catalog: LoadedCatalog;
before(async () => {
  catalog = await loadCatalog();
});

const withSite = (names: string[] | undefined, id: string): CallContext => ({
  ...ctx,
  connection: { ...ctx.connection, siteFunctions: names && { id, names: new Set(names) } },
});

test('functions the site does not offer are not visible; connections with another list (or none) see theirs', () => {
  let decisions = 0;
  const registry = new ToolRegistry({ catalog, direct: ['*'], meta: true, decide: () => (decisions++, { allow: true, reasons: [] }), policyVersion: () => 'v1' });
  const [a, b, c] = catalog.functions.map((f) => f.name);
  assert.deepEqual([...registry.visibleFunctions(withSite([a, b, 'local_not_in_catalog'], 'ab'))].sort(), [a, b].sort());
  assert.equal(decisions, 2, 'the policy decides only on functions the site offers');
  assert.deepEqual([...registry.visibleFunctions(withSite([c], 'c'))], [c]);
  assert.equal(registry.visibleFunctions(withSite(undefined, '')).size, catalog.functions.length, 'an unknown list hides nothing');
  const listed = registry.listTools(withSite([a], 'a')).map((t) => t.name);
  assert.deepEqual(listed, ['moodle_search_functions', 'moodle_describe_function', 'moodle_call_function', a]);
  // Cached per list: the same list again decides nothing new.
  const before = decisions;
  registry.visibleFunctions(withSite([a, b, 'local_not_in_catalog'], 'ab'));
  assert.equal(decisions, before);
});
