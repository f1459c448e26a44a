import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { AuditError } from '../errors.ts';
import type { SinkConfig } from '../config.ts';
import type { SinkWriter } from '../sink-queue.ts';

type SyslogSinkConfig = Extract<SinkConfig, { type: 'syslog' }>;

/** Facility 13 ("log audit", RFC 5424 table 1). */
const FACILITY = 13;
const PRINTABLE = /[^\x21-\x7e]/g;
/** Largest UDP payload we send; longer messages are cut (RFC 5424 6.1 allows truncation) rather than failing forever. */
const MAX_DATAGRAM = 60_000;

function field(value: string, max: number): string {
  const clean = value.replace(PRINTABLE, '_').slice(0, max);
  return clean === '' ? '-' : clean;
}

/**
 * Formats one serialized audit line as an RFC 5424 message:
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG` with MSGID = the event and MSG = the JSON record.
 * Severity 4 (warning) for denied/error decisions and failed sign-ins, 6 (informational) otherwise.
 */
export function formatSyslog(line: string, appName = 'moodle-mcp', host = hostname(), pid = process.pid): string {
  let rec: { timestamp?: string; event?: string; decision?: string } = {};
  try {
    rec = JSON.parse(line);
  } catch {
    /* keep defaults */
  }
  const warn = rec.decision === 'denied' || rec.decision === 'error' || rec.event === 'auth.signin.failed' || rec.event === 'auth.token.rejected' || rec.event === 'auth.client_metadata.refused' || rec.event === 'rate_limit.hit';
  const pri = FACILITY * 8 + (warn ? 4 : 6);
  const timestamp = rec.timestamp && !Number.isNaN(Date.parse(rec.timestamp)) ? rec.timestamp : new Date().toISOString();
  return `<${pri}>1 ${timestamp} ${field(host, 255)} ${field(appName, 48)} ${field(String(pid), 128)} ${field(rec.event ?? '', 32)} - ${line.trimEnd()}`;
}

/** RFC 5424 syslog over UDP (one datagram per record) or TCP (RFC 6587 octet-counting framing, reconnects). */
export function createSyslogSink(config: SyslogSinkConfig): SinkWriter {
  if (typeof config.host !== 'string' || config.host === '') throw new AuditError('audit.sinks[syslog].host: required');
  const port = config.port ?? 514;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AuditError('audit.sinks[syslog].port: must be 1-65535');
  const protocol = config.protocol ?? 'udp';
  if (protocol !== 'udp' && protocol !== 'tcp') throw new AuditError('audit.sinks[syslog].protocol: must be udp or tcp');
  const appName = config.app_name ?? 'moodle-mcp';
  const sinkName = `syslog:${config.host}:${port}`;

  if (protocol === 'udp') {
    let socket: UdpSocket | undefined;
    return {
      name: sinkName,
      maxBatch: 200,
      async write(lines) {
        socket ??= createSocket(config.host.includes(':') ? 'udp6' : 'udp4');
        await Promise.all(
          lines.map(
            (line) =>
              new Promise<void>((resolve, reject) =>
                socket!.send(Buffer.from(formatSyslog(line, appName)).subarray(0, MAX_DATAGRAM), port, config.host, (error) =>
                  error ? reject(error) : resolve(),
                ),
              ),
          ),
        );
      },
      async close() {
        socket?.close();
        socket = undefined;
      },
    };
  }

  let socket: Socket | undefined;
  function connected(): Promise<Socket> {
    if (socket && !socket.destroyed) return Promise.resolve(socket);
    return new Promise((resolve, reject) => {
      const s = connect({ host: config.host, port, timeout: 10_000 });
      s.once('connect', () => {
        s.setTimeout(0);
        socket = s;
        resolve(s);
      });
      s.once('timeout', () => s.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
      s.once('error', reject);
      s.on('error', () => s.destroy());
      s.on('close', () => {
        if (socket === s) socket = undefined;
      });
    });
  }
  return {
    name: sinkName,
    maxBatch: 500,
    async write(lines) {
      const s = await connected();
      const frames = lines.map((line) => {
        const msg = formatSyslog(line, appName);
        return `${Buffer.byteLength(msg)} ${msg}`;
      });
      await new Promise<void>((resolve, reject) => s.write(frames.join(''), (error) => (error ? reject(error) : resolve())));
    },
    async close() {
      if (socket) await new Promise<void>((resolve) => socket!.end(resolve));
      socket = undefined;
    },
  };
}
