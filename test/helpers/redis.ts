/** A real redis-server on a free loopback port in a temp dir, for tests (fails, not skips, when redis-server is missing). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './net.ts';

export async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'moodle-mcp-redis-'));
  const port = await freePort();
  const proc: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const exited = new Promise<never>((_, reject) => {
    proc.once('error', (err) => reject(new Error(`redis-server could not start (install it: scripts/setup.sh): ${err.message}`)));
    proc.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}`)));
  });
  const url = `redis://127.0.0.1:${port}`;
  const ready = (async () => {
    for (let i = 0; i < 200; i++) {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 25));
      } finally {
        probe.disconnect();
      }
    }
    throw new Error('redis-server did not become ready');
  })();
  await Promise.race([ready, exited]);
  exited.catch(() => undefined);
  return {
    url,
    stop: async () => {
      proc.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

