/**
 * A Moodle stand-in for the hot-path bench: answers each web-service function with the bytes Moodle 4.5.6 really
 * answered (recorded exchanges), serialised once, so that it costs next to nothing and the bench measures the
 * gateway, not the double.
 */
import { createServer, type Server } from 'node:http';
import { EXCHANGES } from '../../test/helpers/exchanges.ts';

/** Recorded answers used by the bench: function → exchange id (real sizes: 52 KB, 7 KB, 6.5 KB, 3.7 KB). */
export const PAYLOADS = [
  { fn: 'core_webservice_get_site_info', exchange: 1, args: {} },
  { fn: 'core_course_get_contents', exchange: 8, args: { courseid: 2 } },
  { fn: 'mod_forum_get_discussion_posts', exchange: 18, args: { discussionid: 1 } },
  { fn: 'gradereport_user_get_grade_items', exchange: 19, args: { courseid: 2, userid: 6 } },
] as const;

export async function startMoodleDouble(): Promise<{ url: string; bytes: Record<string, number>; close(): Promise<void> }> {
  const answers = new Map<string, Buffer>();
  for (const p of PAYLOADS) {
    const exchange = EXCHANGES.find((e) => e.id === p.exchange);
    if (!exchange || exchange.function !== p.fn) throw new Error(`bench: recorded exchange ${p.exchange} is not ${p.fn}`);
    answers.set(p.fn, Buffer.from(JSON.stringify(exchange.response_json)));
  }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fn = new URLSearchParams(Buffer.concat(chunks).toString()).get('wsfunction') ?? '';
      const body = answers.get(fn) ?? Buffer.from('{"exception":"moodle_exception","errorcode":"invalidrecord","message":"unknown"}');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    bytes: Object.fromEntries([...answers].map(([fn, b]) => [fn, b.length])),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
