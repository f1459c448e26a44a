import { z } from 'zod';
import ipaddr from 'ipaddr.js';

const cidr = z.string().refine((value) => {
  try {
    if (value.includes('/')) ipaddr.parseCIDR(value);
    else ipaddr.parse(value);
    return true;
  } catch {
    return false;
  }
}, 'must be an IPv4 or IPv6 address or CIDR range, e.g. 10.0.0.0/8 or 2001:db8::/32');

const functionPattern = z
  .string()
  .regex(/^[a-z0-9_*?]+$/, 'must be a Moodle function name or a pattern with * and ? wildcards, e.g. core_course_*');
const scope = z.enum(['api.read', 'api.write']);
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name (A-Z, 0-9, _)');

const profileSchema = z
  .object({
    description: z.string().optional(),
    scopes: z.array(scope).min(1).default(['api.read']),
    ip_allow: z.array(cidr).default(['0.0.0.0/0', '::/0']),
    allow: z.array(functionPattern).default([]),
    deny: z.array(functionPattern).default([]),
    courses: z.array(z.number().int().positive()).nullable().optional(),
    rate_per_minute: z.number().int().positive().nullable().optional(),
    rate_per_function_per_minute: z.number().int().positive().nullable().optional(),
    allow_site_admin: z.boolean().default(false),
  })
  .strict();

const connectionSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores'),
    description: z.string().optional(),
    key_env: envName.optional(),
    key_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the hex SHA-256 of the bearer key').optional(),
    moodle_token_env: envName.optional(),
    moodle_token_file: z.string().optional(),
    profile: z.string(),
    scopes: z.array(scope).optional(),
  })
  .strict()
  .refine((c) => !!c.key_env !== !!c.key_sha256, { message: 'set exactly one of key_env or key_sha256', path: ['key_env'] })
  .refine((c) => !!c.moodle_token_env !== !!c.moodle_token_file, {
    message: 'set exactly one of moodle_token_env or moodle_token_file',
    path: ['moodle_token_env'],
  });

const sinkSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('stdout') }).strict(),
  z
    .object({
      type: z.literal('file'),
      path: z.string(),
      rotate: z
        .object({ size_mb: z.number().positive().optional(), daily: z.boolean().optional(), keep: z.number().int().positive().optional() })
        .strict()
        .optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('http'),
      url: z.url(),
      format: z.enum(['splunk-hec', 'elasticsearch-bulk', 'jsonl']).default('jsonl'),
      index: z.string().optional(),
      token_env: envName.optional(),
      batch_size: z.number().int().positive().optional(),
      timeout_ms: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('syslog'),
      host: z.string(),
      port: z.number().int().min(1).max(65535).default(514),
      protocol: z.enum(['udp', 'tcp']).default('udp'),
      app_name: z.string().optional(),
    })
    .strict(),
]);

export const configSchema = z
  .object({
    moodle: z
      .object({
        url: z.union([z.url(), z.literal('')]).default(''),
        service: z.string().default('mcp'),
        timeout_ms: z.number().int().positive().default(30_000),
        max_response_bytes: z.number().int().positive().default(20 * 1024 * 1024),
        allow_site_admin_tokens: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(3000),
        public_url: z.union([z.url(), z.literal('')]).default(''),
        allowed_hosts: z.array(z.string()).default([]),
        allowed_origins: z.array(z.string()).default([]),
        trust_proxy: z.union([z.boolean(), z.literal('loopback'), z.array(z.string())]).default(false),
        sessions: z.enum(['stateful', 'stateless']).default('stateful'),
        session_idle_minutes: z.number().positive().default(30),
        max_sessions: z.number().int().positive().default(1000),
        max_sessions_per_connection: z.number().int().positive().default(20),
        body_limit_bytes: z.number().int().positive().default(1024 * 1024),
        shutdown_grace_ms: z.number().int().nonnegative().default(10_000),
      })
      .strict()
      .prefault({}),
    mode: z.enum(['read-only', 'read-write']).default('read-only'),
    expose: z
      .object({
        meta: z.boolean().default(true),
        direct: z.array(functionPattern).default([]),
      })
      .strict()
      .prefault({}),
    files: z
      .object({
        enabled: z.boolean().default(true),
        max_read_bytes: z.number().int().positive().default(20 * 1024 * 1024),
        max_upload_bytes: z.number().int().positive().default(10 * 1024 * 1024),
        max_text_chars: z.number().int().positive().default(100_000),
        max_pdf_pages: z.number().int().positive().default(50),
        max_blob_bytes: z.number().int().positive().default(5 * 1024 * 1024),
        // Text extraction runs in a worker thread, terminated past this (files built to expand while read).
        extract_timeout_ms: z.number().int().positive().default(15_000),
        // At most this many extraction workers at once (each can hold what a crafted file inflates to); others wait.
        max_concurrent_extractions: z.number().int().positive().max(64).default(2),
      })
      .strict()
      .prefault({}),
    site_level_functions: z.array(z.string()).default([]),
    profiles: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), profileSchema).default({}),
    connections: z.array(connectionSchema).default([]),
    demo: z
      .object({ enabled: z.union([z.boolean(), z.literal('auto')]).default('auto'), profile: z.string().default('demo') })
      .strict()
      .prefault({}),
    rate_limit: z
      .object({
        backend: z.enum(['memory', 'redis']).default('memory'),
        redis_url_env: envName.default('REDIS_URL'),
        window_seconds: z.number().int().positive().default(60),
      })
      .strict()
      .prefault({}),
    audit: z
      .object({
        sinks: z.array(sinkSchema).default([{ type: 'stdout' }]),
        fail_closed: z.boolean().default(false),
        buffer: z.number().int().positive().default(10_000),
        webhook: z
          .object({
            url: z.url(),
            secret_env: envName.optional(),
            secret_file: z.string().optional(),
            events: z.array(z.string()).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    oauth: z
      .object({
        enabled: z.boolean().default(true),
        default_profile: z.string().default('default'),
        access_token_ttl_seconds: z.number().int().positive().default(3600),
        refresh_token_ttl_seconds: z.number().int().positive().default(30 * 24 * 3600),
        allow_site_admin: z.boolean().default(false),
        // Sign-in through the local_moodlemcp plugin's connect flow: auto = offered when connectinfo.php says it is enabled.
        moodle_signin: z.enum(['auto', 'on', 'off']).default('auto'),
        // The password form and the token paste of the sign-in page; false hides and refuses them.
        password_signin: z.boolean().default(true),
        // The secret shared with the plugin (its connectsecret), read from this environment variable or file.
        moodle_connect_secret_env: envName.default('MOODLE_MCP_CONNECT_SECRET'),
        moodle_connect_secret_file: z.string().optional(),
        client_metadata: z
          .object({
            allow_private_addresses: z.boolean().default(false),
            fetches_per_minute: z.number().int().positive().default(30),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    admin: z
      .object({
        enabled: z.boolean().default(true),
        operator_key_env: envName.optional(),
        operator_key_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the hex SHA-256 of the operator key').optional(),
        session_minutes: z.number().int().min(1).max(24 * 60).default(30),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        type: z.enum(['file', 'postgres']).default('file'),
        dir: z.string().default('./data'),
        postgres_url_env: envName.default('DATABASE_URL'),
      })
      .strict()
      .prefault({}),
    secrets: z
      .object({
        encryption_key_env: envName.default('MOODLE_MCP_ENCRYPTION_KEY'),
        encryption_key_file: z.string().optional(),
      })
      .strict()
      .prefault({}),
    policy: z
      .object({
        wasm: z.string().default('policies/build/policy.wasm'),
        manifest: z.string().default('policies/build/manifest.json'),
        sources: z.string().default('policies'),
        watch: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        enabled: z.boolean().default(true),
        // host:port of a listener of its own (e.g. 0.0.0.0:9464 in Kubernetes); empty: /metrics on the gateway port, bearer token required
        listen: z.union([z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[^:\s\[\]]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:9464'), z.literal('')]).default(''),
        token_env: envName.default('MOODLE_MCP_METRICS_TOKEN'),
      })
      .strict()
      .prefault({}),
    logging: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine(
    (config, ctx) => {
      // Runs even when other parts failed, so that every problem is reported at once: guard against partial data.
      const profiles = new Set(Object.keys(config?.profiles ?? {}));
      const known = [...profiles].join(', ') || 'none';
      (Array.isArray(config?.connections) ? config.connections : []).forEach((c, i) => {
        if (c && typeof c.profile === 'string' && !profiles.has(c.profile))
          ctx.addIssue({ code: 'custom', path: ['connections', i, 'profile'], message: `unknown profile "${c.profile}" (defined: ${known})` });
      });
      const oauth = config?.oauth;
      if (oauth?.enabled && typeof oauth.default_profile === 'string' && !profiles.has(oauth.default_profile))
        ctx.addIssue({ code: 'custom', path: ['oauth', 'default_profile'], message: `unknown profile "${oauth.default_profile}" (defined: ${known})` });
    },
    { when: () => true },
  );

/** The validated gateway configuration (moodle-mcp.config.yaml). */
export type GatewayConfig = z.infer<typeof configSchema>;
