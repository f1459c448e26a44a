/**
 * Audit configuration types, derived from the gateway config schema (runtime/config/schema.ts) so that they cannot
 * drift from what a config file may hold. Internal knobs (retry delays, attempts, queue sizes) are options of the
 * functions that take them, not config.
 */
import type { z } from 'zod';
import type { GatewayConfig } from '../config/index.ts';
import type { configSchema } from '../config/schema.ts';

/** The `audit:` section of the gateway config, as loaded (defaults applied). */
export type AuditSection = GatewayConfig['audit'];

/** One entry of `audit.sinks`; fields the schema defaults may be left out (the sinks apply the same defaults). */
export type SinkConfig = NonNullable<NonNullable<z.input<typeof configSchema>['audit']>['sinks']>[number];

/** `rotate:` of a file sink: `size_mb`, `daily`, `keep` (rotated files kept, default 7). */
export type FileRotation = NonNullable<Extract<SinkConfig, { type: 'file' }>['rotate']>;

/** `audit.webhook`: `url`, `secret_env` or `secret_file`, `events` (default DEFAULT_WEBHOOK_EVENTS). */
export type WebhookConfig = NonNullable<AuditSection['webhook']>;
