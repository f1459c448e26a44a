/** Network helpers for tests (no gateway imports: light enough for any test file). */
import { createServer } from 'node:net';

/**
 * A free loopback TCP port: bound, then released. For tests whose config must name the port (e.g. the OAuth issuer
 * URL, a child server's --port) and for "nothing listens here" checks.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
