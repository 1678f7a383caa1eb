// The embedded default: PGlite (Postgres compiled to WASM) with its files in the data directory,
// served on a loopback socket so the ordinary `pg` driver and the same migrations work unchanged.
// PGlite is one session: the app must use a single connection against it (see data-source.ts).
// Both packages are loaded here, when the embedded database is started, not at start-up: with
// CODEX_LB_DATABASE_URL set the API never needs them (~1.3 MB of V8's heap it would keep).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const dir = join(dataDir, 'pgdata');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  const [, port] = server.getServerConn().split(':');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
