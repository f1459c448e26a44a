/**
 * Fault injection for tests of the client and the gateway: the next N requests (optionally only to one
 * endpoint) are delayed, dropped (connection closed without an answer), answered with an HTTP error
 * status, or answered with a huge streamed body.
 */

export type Fault =
  | { kind: 'delay'; ms: number }
  | { kind: 'drop' }
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'huge'; bytes: number; declareLength?: boolean };

export type FaultEndpoint = 'rest' | 'token' | 'files';

export interface FaultRule {
  fault: Fault;
  /** How many requests it applies to (default 1). */
  times?: number;
  /** Only requests to this endpoint (default all); `files` is webservice/upload.php and webservice/pluginfile.php. */
  endpoint?: FaultEndpoint;
}

export class FaultQueue {
  private rules: { fault: Fault; remaining: number; endpoint?: FaultEndpoint }[] = [];

  add(rule: FaultRule): void {
    const times = rule.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new Error(`fault times must be a positive integer, got ${times}`);
    this.rules.push({ fault: rule.fault, remaining: times, endpoint: rule.endpoint });
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for the next request to `endpoint`, consuming one use of it. */
  take(endpoint: FaultEndpoint | 'other'): Fault | undefined {
    const rule = this.rules.find((r) => !r.endpoint || r.endpoint === endpoint);
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining === 0) this.rules.splice(this.rules.indexOf(rule), 1);
    return rule.fault;
  }
}

/** A stream of `bytes` bytes of a JSON string, produced lazily so a reader that stops early stops it. */
export function hugeBody(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0) {
        controller.enqueue(new TextEncoder().encode('"'));
        sent = 1;
        return;
      }
      const left = bytes - sent - 1;
      if (left <= 0) {
        controller.enqueue(new TextEncoder().encode('"'));
        controller.close();
        return;
      }
      const piece = left >= chunk.byteLength ? chunk : chunk.subarray(0, left);
      sent += piece.byteLength;
      controller.enqueue(piece);
    },
  });
}
