// Starts a private PostgreSQL cluster in a temp dir for tests (as the postgres user when running as root: spawn with its uid/gid).
// Fails, never skips, when PostgreSQL is not installed: `scripts/setup.sh` installs it from Debian.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/net.ts';

export interface PgCluster {
  connectionString: string;
  /** A fresh, empty database on the cluster. */
  createDatabase(name: string): string;
  stop(): Promise<void>;
}

function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run `apt-get install -y postgresql` or `make setup`');
  return join(base, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = binDir();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'mmcp-pg-'));
  let uid = 0;
  let gid = 0;
  if (root) {
    uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  // As root, run PostgreSQL's programs as the postgres user (it refuses to run as root).
  const as = root ? { uid, gid, env: { ...process.env, HOME: dir } } : {};
  const data = join(dir, 'data');
  execFileSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], { stdio: 'pipe', ...as });
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off'],
    { stdio: ['ignore', 'ignore', 'pipe'], ...as },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = (db: string) => `postgresql://postgres@127.0.0.1:${port}/${db}`;
  const psql = (sql: string) =>
    execFileSync(join(bin, 'psql'), ['-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { stdio: 'pipe', ...as });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`postgres exited: ${stderr}`);
    try {
      psql('SELECT 1');
      break;
    } catch {
      if (i > 300) throw new Error(`postgres did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    connectionString: url('postgres'),
    createDatabase(name) {
      psql(`CREATE DATABASE "${name}"`);
      return url(name);
    },
    async stop() {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await done;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
