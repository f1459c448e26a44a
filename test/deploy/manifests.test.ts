// The deployment files under deploy/ checked offline (no cluster, no compose engine here): they parse, the configs
// they carry are valid gateway configs, and what refers to what matches (ports, probes, mounts, secrets, selectors).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { parseConfig, type GatewayConfig } from '../../runtime/config/index.ts';
import { ROOT } from '../helpers/gateway.ts';

const K8S = join(ROOT, 'deploy/kubernetes');
const COMPOSE = join(ROOT, 'deploy/compose');

function docs(file: string): any[] {
  const all = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const d of all) assert.equal(d.errors.length, 0, `${file}: ${d.errors.map((e) => e.message).join('; ')}`);
  return all.map((d) => d.toJS());
}
const one = (file: string) => docs(join(K8S, file))[0];
const portOf = (listen: string) => Number(listen.slice(listen.lastIndexOf(':') + 1));

const configMap = one('configmap.yaml');
const deployment = one('deployment.yaml');
const service = one('service.yaml');
const pdb = one('pdb.yaml');
const secret = one('secret.example.yaml');
const container = deployment.spec.template.spec.containers[0];
const envValue = (name: string) => container.env.find((e: any) => e.name === name);

test('kustomization lists every manifest, each with its kind and the app label', () => {
  const kustomization = parseYaml(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8'));
  assert.deepEqual(kustomization.resources.sort(), ['configmap.yaml', 'deployment.yaml', 'pdb.yaml', 'service.yaml']);
  assert.deepEqual(
    [configMap, deployment, service, pdb, secret].map((m) => [m.apiVersion, m.kind]),
    [['v1', 'ConfigMap'], ['apps/v1', 'Deployment'], ['v1', 'Service'], ['policy/v1', 'PodDisruptionBudget'], ['v1', 'Secret']],
  );
  for (const m of [configMap, deployment, service, pdb, secret]) assert.equal(m.metadata.labels['app.kubernetes.io/name'], 'moodle-mcp', m.kind);
});

test('the ConfigMap holds a valid gateway config that the Deployment mounts and names', () => {
  const configKey = Object.keys(configMap.data)[0]!;
  const mount = container.volumeMounts.find((m: any) => m.name === 'config');
  const volume = deployment.spec.template.spec.volumes.find((v: any) => v.name === 'config');
  assert.equal(volume.configMap.name, configMap.metadata.name);
  assert.equal(envValue('MOODLE_MCP_CONFIG').value, `${mount.mountPath}/${configKey}`);
  const config = parseConfig(configMap.data[configKey], configKey, {});
  assert.equal(config.server.host, '0.0.0.0', 'listens on the pod network');
  assert.equal(config.server.sessions, 'stateless', 'several replicas without sticky sessions');
  assert.equal(config.store.type, 'postgres');
  assert.equal(config.rate_limit.backend, 'redis');
  // The policy comes from the policy ConfigMap's mount.
  const policyMount = container.volumeMounts.find((m: any) => m.name === 'policy');
  assert.equal(deployment.spec.template.spec.volumes.find((v: any) => v.name === 'policy').configMap.name, 'moodle-mcp-policy');
  for (const path of [config.policy.wasm, config.policy.manifest, config.policy.sources]) assert.ok(path.startsWith(policyMount.mountPath), path);
  // Writable places: the data dir and /tmp (the root filesystem is read-only).
  assert.ok(container.volumeMounts.some((m: any) => m.mountPath === config.store.dir && !m.readOnly));
  assert.ok(container.volumeMounts.some((m: any) => m.mountPath === '/tmp'));
  assert.ok(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000 > config.server.shutdown_grace_ms + 5000, 'drain and preStop fit in the grace period');
});

test('ports and probes match the config; metrics on their own port, not in the public route', () => {
  const config: GatewayConfig = parseConfig(Object.values(configMap.data)[0] as string, 'configmap', {});
  const ports = Object.fromEntries(container.ports.map((p: any) => [p.name, p.containerPort]));
  assert.equal(ports.http, config.server.port);
  assert.equal(ports.metrics, portOf(config.metrics.listen));
  assert.deepEqual([container.readinessProbe.httpGet.path, container.readinessProbe.httpGet.port], ['/readyz', 'http']);
  assert.deepEqual([container.livenessProbe.httpGet.path, container.livenessProbe.httpGet.port], ['/healthz', 'http']);
  assert.equal(container.startupProbe.httpGet.path, '/healthz');
  for (const p of service.spec.ports) assert.ok(p.targetPort in ports, `Service port ${p.name} targets a container port`);
  assert.deepEqual(service.spec.selector, deployment.spec.template.metadata.labels);
});

test('hardened pod: non-root, read-only root filesystem, no privilege escalation, all capabilities dropped', () => {
  const pod = deployment.spec.template.spec;
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.notEqual(pod.securityContext.runAsUser, 0);
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
  assert.equal(pod.automountServiceAccountToken, false);
});

test('every secret the Deployment reads is a key of the Secret; no secret value sits in the Deployment or ConfigMap', () => {
  const fromSecret = container.env.filter((e: any) => e.valueFrom?.secretKeyRef);
  assert.deepEqual(fromSecret.map((e: any) => e.name).sort(), ['DATABASE_URL', 'MOODLE_MCP_ENCRYPTION_KEY', 'MOODLE_MCP_METRICS_TOKEN', 'REDIS_URL']);
  for (const e of fromSecret) {
    assert.equal(e.valueFrom.secretKeyRef.name, secret.metadata.name);
    assert.ok(e.valueFrom.secretKeyRef.key in secret.stringData, e.name);
  }
  const config = parseConfig(Object.values(configMap.data)[0] as string, 'configmap', {});
  assert.equal(config.secrets.encryption_key_env, 'MOODLE_MCP_ENCRYPTION_KEY');
  assert.equal(config.metrics.token_env, 'MOODLE_MCP_METRICS_TOKEN');
  assert.equal(config.store.postgres_url_env, 'DATABASE_URL');
  assert.equal(config.rate_limit.redis_url_env, 'REDIS_URL');
  assert.match(JSON.stringify(secret.stringData), /CHANGE-ME/, 'the example carries placeholders only');
});

test('the PodDisruptionBudget keeps a replica and selects the Deployment pods', () => {
  assert.deepEqual(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
  assert.deepEqual(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels);
  assert.ok(pdb.spec.minAvailable >= 1 && pdb.spec.minAvailable < deployment.spec.replicas);
});

test('policy-configmap.mjs bundles the compiled policy and the sources its manifest hashes', () => {
  const run = spawnSync(process.execPath, [join(K8S, 'policy-configmap.mjs')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const cm = JSON.parse(run.stdout);
  assert.equal(cm.metadata.name, 'moodle-mcp-policy');
  assert.deepEqual(Buffer.from(cm.binaryData['policy.wasm'], 'base64'), readFileSync(join(ROOT, 'policies/build/policy.wasm')));
  assert.equal(cm.data['manifest.json'], readFileSync(join(ROOT, 'policies/build/manifest.json'), 'utf8'));
  assert.ok('moodle_mcp.rego' in cm.data && 'capabilities.json' in cm.data);
  assert.ok(!Object.keys(cm.data).some((k) => k.endsWith('_test.rego')));
  assert.ok(run.stdout.length < 1024 * 1024, 'fits in a ConfigMap (1 MiB)');
});

test('compose: two gateways sharing PostgreSQL and Redis, the simulator and a balancer; its config is valid', () => {
  const compose = parseYaml(readFileSync(join(COMPOSE, 'compose.yaml'), 'utf8'), { merge: true });
  const services = compose.services;
  assert.deepEqual(Object.keys(services).sort(), ['gateway-a', 'gateway-b', 'lb', 'moodle-sim', 'postgres', 'redis']);
  for (const name of ['gateway-a', 'gateway-b']) {
    const g = services[name];
    assert.equal(g.read_only, true, name);
    assert.match(g.environment.DATABASE_URL, /@postgres:5432\//);
    assert.match(g.environment.REDIS_URL, /^redis:\/\/redis:6379/);
    assert.match(g.environment.MOODLE_URL, /^http:\/\/moodle-sim:8081/);
    assert.equal(g.environment.MOODLE_MCP_PUBLIC_URL, 'http://localhost:8080', 'every replica has the balancer URL');
    const [hostPath, containerPath] = g.volumes[0].split(':');
    assert.equal(containerPath, g.environment.MOODLE_MCP_CONFIG);
    const config = parseConfig(readFileSync(join(COMPOSE, hostPath), 'utf8'), hostPath, {});
    assert.equal(config.store.type, 'postgres');
    assert.equal(config.rate_limit.backend, 'redis');
    assert.equal(config.server.sessions, 'stateless');
    assert.equal(config.server.port, 3000);
  }
  assert.deepEqual(services['moodle-sim'].command.slice(2, 3), ['sim']);
  const nginx = readFileSync(join(COMPOSE, 'nginx.conf'), 'utf8');
  assert.match(nginx, /server gateway-a:3000;\s+server gateway-b:3000;/);
  assert.match(nginx, /location = \/metrics \{ return 404; \}/, 'metrics are not published through the balancer');
});

test('the example CI definitions run the policy tests with coverage and post policy diff against the base', () => {
  const github = parseYaml(readFileSync(join(ROOT, 'examples/github-actions/policy-review.yml'), 'utf8'));
  const steps: { run?: string; uses?: string; with?: Record<string, unknown> }[] = github.jobs['policy-review'].steps;
  const runs = steps.map((s) => s.run ?? '').join('\n');
  assert.match(runs, /make policy-test/);
  assert.match(runs, /moodle-mcp\.mjs policy diff "origin\/\$\{\{ github\.base_ref \}\}"/);
  assert.match(runs, /GITHUB_STEP_SUMMARY/);
  assert.match(runs, /gh pr comment/);
  assert.equal(steps.find((s) => s.uses?.startsWith('actions/checkout'))?.with?.['fetch-depth'], 0, 'diff needs the base branch');
  assert.equal(github.permissions['pull-requests'], 'write');
  assert.ok(github.on.pull_request.paths.includes('codegen/overrides.yaml'));

  const gitlab = parseYaml(readFileSync(join(ROOT, 'examples/gitlab-ci/policy-review.gitlab-ci.yml'), 'utf8'))['policy-review'];
  const script = gitlab.script.join('\n');
  assert.match(script, /make policy-test/);
  assert.match(script, /policy diff "origin\/\$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"/);
  assert.match(script, /merge_requests\/\$CI_MERGE_REQUEST_IID\/notes/);
  assert.equal(gitlab.variables.GIT_DEPTH, 0);
  // The commands they run exist here: the make target and the policy diff subcommand.
  assert.match(readFileSync(join(ROOT, 'Makefile'), 'utf8'), /^policy-test:/m);
});
