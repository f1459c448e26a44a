#!/usr/bin/env node
// Prints the ConfigMap `moodle-mcp-policy` (the policy bundle the Deployment mounts at /etc/moodle-mcp/policy):
// the compiled policy (policy.wasm, manifest.json from `make policy`) and the sources its manifest hashes
// (policies/*.rego without tests, capabilities.json), so the gateway can check the build is not stale.
//   make policy && node deploy/kubernetes/policy-configmap.mjs | kubectl apply -f -
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const policies = process.argv[2] ?? fileURLToPath(new URL('../../policies/', import.meta.url));
const read = (name) => readFileSync(join(policies, name));
const sources = readdirSync(policies).filter((n) => (n.endsWith('.rego') && !n.endsWith('_test.rego')) || n === 'capabilities.json').sort();
const data = Object.fromEntries([...sources.map((n) => [n, read(n).toString('utf8')]), ['manifest.json', read('build/manifest.json').toString('utf8')]]);
const configMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'moodle-mcp-policy', labels: { 'app.kubernetes.io/name': 'moodle-mcp' } },
  data,
  binaryData: { 'policy.wasm': read('build/policy.wasm').toString('base64') },
};
process.stdout.write(JSON.stringify(configMap, null, 2) + '\n'); // JSON is YAML: kubectl apply -f - takes it
