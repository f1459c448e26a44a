#!/usr/bin/env node
// Entry point of the `moodle-mcp` command. Runs the compiled dist/ (`make build`) when it exists: the container and
// the npm package ship it, so production needs no TypeScript transpiler. Without dist/ (a fresh checkout), or with
// MOODLE_MCP_FROM_SOURCE=1 (the test runner sets it, so tests never run a stale build), it runs the TypeScript
// sources through tsx (a dev dependency).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/runtime/cli/main.js', import.meta.url);
if (process.env.MOODLE_MCP_FROM_SOURCE !== '1' && existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../runtime/cli/main.ts');
}
