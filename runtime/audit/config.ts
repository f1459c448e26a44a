/** Plain audit configuration objects, as found under `audit:` in moodle-mcp.config.yaml. */

export interface FileRotation {
  /** Rotate when the file would grow beyond this many MiB. */
  size_mb?: number;
  /** Rotate when the UTC day changes. */
  daily?: boolean;
  /** Rotated files kept (path.1 newest … path.keep oldest); default 7. */
  keep?: number;
}

export type SinkConfig =
  | { type: 'stdout' }
  | { type: 'file'; path: string; rotate?: FileRotation }
  | {
      type: 'http';
      url: string;
      format?: 'splunk-hec' | 'elasticsearch-bulk' | 'jsonl';
      /** Splunk index or Elasticsearch index for the records. */
      index?: string;
      /** Name of the environment variable holding the token (Splunk HEC token, ES API key, bearer token). */
      token_env?: string;
      batch_size?: number;
      timeout_ms?: number;
    }
  | { type: 'syslog'; host: string; port?: number; protocol?: 'udp' | 'tcp'; app_name?: string };

export interface WebhookConfig {
  url: string;
  /** Environment variable holding the HMAC secret. */
  secret_env?: string;
  /** File holding the HMAC secret (trailing whitespace ignored). */
  secret_file?: string;
  /** `event` or `event:decision` selectors; default DEFAULT_WEBHOOK_EVENTS. */
  events?: string[];
  timeout_ms?: number;
  max_attempts?: number;
  /** Bounded queue length; default 1000. */
  queue?: number;
}

/** The `audit:` section of the gateway config. */
export interface AuditSection {
  sinks: SinkConfig[];
  fail_closed: boolean;
  buffer: number;
  webhook?: WebhookConfig;
}
