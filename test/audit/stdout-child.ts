// Child process for sinks.test.ts: records N records to the default stdout sink, closes, exits.
import { createAudit } from '../../runtime/audit/logger.ts';

const n = Number(process.argv[2]);
const audit = createAudit({ sinks: [{ type: 'stdout' }], bufferSize: n });
for (let i = 0; i < n; i++) {
  audit.record({ event: 'tools/call', timestamp: new Date().toISOString(), request_id: `r${i}`, password: 'never' } as never);
}
await audit.close();
