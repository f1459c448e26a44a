#!/usr/bin/env node
// Entry point of the `moodle-mcp` command: runs the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';
register();
await import('../runtime/cli/main.ts');
