import type { Audit } from '../audit/logger.ts';
import type { MoodleClient } from '../moodle/index.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import type { GatewayMetrics } from './registry.ts';

const seconds = (startNs: bigint) => Number(process.hrtime.bigint() - startNs) / 1e9;

/** The Moodle client, timing every web-service call by function and outcome. */
export function instrumentMoodle(client: MoodleClient, metrics: GatewayMetrics): MoodleClient {
  async function timed<T>(fn: string, work: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    try {
      const result = await work();
      metrics.moodleDuration.observe({ function: fn, outcome: 'ok' }, seconds(start));
      return result;
    } catch (error) {
      metrics.moodleDuration.observe({ function: fn, outcome: 'error' }, seconds(start));
      throw error;
    }
  }
  return {
    get url() {
      return client.url;
    },
    // Only functions the client accepts get here: it refuses a malformed name before any request.
    call: (token, fn, args, options) => timed(fn, () => client.call(token, fn, args, options)),
    getSiteInfo: (token, options) => timed('core_webservice_get_site_info', () => client.getSiteInfo(token, options)),
    tokenLogin: (username, password, service, options) => timed('login/token.php', () => client.tokenLogin(username, password, service, options)),
  };
}

/** The policy engine's decide(), timed by action (tools/call, tools/list...). The engine object itself is kept. */
export function timedDecide(policy: PolicyEngine, metrics: GatewayMetrics): PolicyEngine['decide'] {
  return (input) => {
    const end = metrics.policyDecision.startTimer({ action: String(input.action ?? 'unknown') });
    try {
      return policy.decide(input);
    } finally {
      end();
    }
  };
}

/** The audit trail, counting what each record says (tool calls, rate-limit hits) before it is queued. */
export function observedAudit(audit: Audit, metrics: GatewayMetrics): Audit {
  metrics.watchAudit(audit);
  return {
    record(rec) {
      metrics.observeRecord(rec);
      audit.record(rec);
    },
    healthy: () => audit.healthy(),
    assertAvailable: () => audit.assertAvailable(),
    stats: () => audit.stats(),
    flush: () => audit.flush(),
    close: () => audit.close(),
  };
}
