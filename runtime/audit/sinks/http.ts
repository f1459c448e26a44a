import { AuditError } from '../errors.ts';
import type { SinkConfig } from '../config.ts';
import type { SinkWriter } from '../sink-queue.ts';

type HttpSinkConfig = Extract<SinkConfig, { type: 'http' }>;

/** Thrown for a non-2xx answer so the queue retries; carries only the status, never the body. */
class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** Reads `"timestamp":"…"` from a serialized line (the logger writes it first) as epoch seconds. */
function epochSeconds(line: string): number {
  const match = /"timestamp":"([^"]+)"/.exec(line);
  const ms = match ? Date.parse(match[1]) : NaN;
  return (Number.isNaN(ms) ? Date.now() : ms) / 1000;
}

/** Builds the request body for one batch in the chosen format. */
export function httpSinkBody(format: NonNullable<HttpSinkConfig['format']>, lines: string[], index?: string): string {
  switch (format) {
    case 'splunk-hec': {
      // HEC event endpoint accepts several JSON event objects concatenated in one body.
      const extra = `,"sourcetype":"moodle-mcp:audit"${index ? `,"index":${JSON.stringify(index)}` : ''}`;
      return lines.map((line) => `{"time":${epochSeconds(line)}${extra},"event":${line.trimEnd()}}\n`).join('');
    }
    case 'elasticsearch-bulk': {
      const action = index ? `{"index":{"_index":${JSON.stringify(index)}}}\n` : '{"index":{}}\n';
      return lines.map((line) => action + line).join('');
    }
    case 'jsonl':
      return lines.join('');
  }
}

/**
 * Batching HTTP sink: Splunk HEC (`Authorization: Splunk <token>`), Elasticsearch `_bulk`
 * (`Authorization: ApiKey <token>`, NDJSON; per-item failures counted as rejected) or plain JSON lines
 * (`Authorization: Bearer <token>`). Token read from the environment variable named by `token_env`.
 */
export function createHttpSink(config: HttpSinkConfig, env: NodeJS.ProcessEnv = process.env): SinkWriter {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw new AuditError(`audit.sinks[http].url: not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AuditError('audit.sinks[http].url: must be http or https');
  const format = config.format ?? 'jsonl';
  if (!['splunk-hec', 'elasticsearch-bulk', 'jsonl'].includes(format)) {
    throw new AuditError(`audit.sinks[http].format: must be splunk-hec, elasticsearch-bulk or jsonl (got ${JSON.stringify(format)})`);
  }
  let token: string | undefined;
  if (config.token_env) {
    token = env[config.token_env];
    if (!token) throw new AuditError(`audit.sinks[http].token_env: environment variable ${config.token_env} is not set`);
  }
  const batch = config.batch_size ?? 100;
  const timeout = config.timeout_ms ?? 10_000;
  if (!Number.isInteger(batch) || batch < 1) throw new AuditError('audit.sinks[http].batch_size: must be a positive integer');
  if (!Number.isInteger(timeout) || timeout < 1) throw new AuditError('audit.sinks[http].timeout_ms: must be a positive integer');
  const scheme = format === 'splunk-hec' ? 'Splunk' : format === 'elasticsearch-bulk' ? 'ApiKey' : 'Bearer';
  const headers: Record<string, string> = {
    'content-type': format === 'splunk-hec' ? 'application/json' : 'application/x-ndjson',
    ...(token ? { authorization: `${scheme} ${token}` } : {}),
  };

  return {
    name: `http:${url.host}`,
    maxBatch: batch,
    async write(lines) {
      return post(lines);
    },
    async close() {},
  };

  /** POSTs one batch; a 413 (too large) is retried as two halves so one big batch cannot wedge the sink. */
  async function post(lines: string[]): Promise<void | { rejected: number }> {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: httpSinkBody(format, lines, config.index),
      signal: AbortSignal.timeout(timeout),
    });
    const text = await response.text();
    if (response.status === 413 && lines.length > 1) {
      const half = Math.ceil(lines.length / 2);
      const results = [await post(lines.slice(0, half)), await post(lines.slice(half))];
      return { rejected: results.reduce((n, r) => n + (r ? r.rejected : 0), 0) };
    }
    if (!response.ok) throw new HttpStatusError(response.status);
    if (format === 'elasticsearch-bulk') {
      // Bulk answers 200 even when items fail; retrying would duplicate the accepted ones, so count the rest.
      try {
        const parsed = JSON.parse(text) as { errors?: boolean; items?: Record<string, { status?: number }>[] };
        if (parsed.errors) {
          const rejected = (parsed.items ?? []).filter((item) => (Object.values(item)[0]?.status ?? 200) >= 300).length;
          return { rejected };
        }
      } catch {
        /* not JSON: the status said OK */
      }
    }
  }
}
