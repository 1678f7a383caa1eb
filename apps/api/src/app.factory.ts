// Builds the whole application for a given set of settings: database (embedded or external),
// migrations and the first admin under the startup lock, then Nest on Fastify. main.ts and the
// integration specs both start the product through here.
import { Logger, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyMultipart from '@fastify/multipart';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { DataSource } from 'typeorm';
import type { Settings } from './config/settings';
import { AppModule } from './app.module';
import { dataSourceOptions } from './database/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './database/embedded';
import { runMigrations, withStartupLock } from './database/migrate';
import { trustFunction } from './common/client-address';
import { checkVaultFingerprint, loadVaultKey, TokenVault } from './common/crypto/token-vault';
import { configurePasswordHashing } from './common/passwords';
import { boundedJsonParser } from './common/json-body-parser';
import { answerFrameworkError } from './common/http-exception.filter';
import { installRequestContext } from './common/request-context';
import { ProxyHttp } from './modules/proxy/proxy-http';
import { ProxyService } from './modules/proxy/proxy.service';
import { ProxyWebSockets } from './modules/proxy/websocket/proxy-websockets';
import { adminBanner, ensureBootstrapAdmin, type BootstrapResult } from './modules/auth/bootstrap-admin';

const DRAIN_TIMEOUT_MS = 30_000;

type BodyParser = NonNullable<Parameters<FastifyAdapter['useBodyParser']>[3]>;

/**
 * Dashboard routes get parsed JSON (prototype-poisoning safe); the proxy reads its own bodies.
 * Bodies over the API limit are a 413 and JSON that nests too deep or has too many members is a
 * 400, both as soon as the body shows it (common/json-body-parser.ts).
 */
function registerBodyParsers(adapter: FastifyAdapter, json: BodyParser, bodyLimit: number): void {
  // SCIM (/scim/v2) sends and expects application/scim+json: the same JSON under the same limits.
  adapter
    .getInstance()
    .addContentTypeParser(['application/json', 'application/scim+json'], boundedJsonParser(bodyLimit, json as never));
  adapter.useBodyParser('application/x-www-form-urlencoded', false, { bodyLimit }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams((body as Buffer).toString('utf8'))));
  });
}

export interface CreateAppOptions {
  logger?: LoggerService | false;
  /** Where the one-time admin password banner goes; the console by default, never the log. */
  banner?: (text: string) => void;
}

export interface CodexLbApp {
  app: NestFastifyApplication;
  dataSource: DataSource;
  bootstrap: BootstrapResult;
  close(): Promise<void>;
}

const LEVELS: Record<Settings['logLevel'], LogLevel[]> = {
  error: ['error', 'fatal'],
  warn: ['error', 'fatal', 'warn'],
  log: ['error', 'fatal', 'warn', 'log'],
  debug: ['error', 'fatal', 'warn', 'log', 'debug', 'verbose'],
};

export async function createApp(settings: Settings, options: CreateAppOptions = {}): Promise<CodexLbApp> {
  let embedded: EmbeddedPostgres | null = null;
  if (settings.databaseUrl === null) {
    embedded = await startEmbeddedPostgres(settings.dataDir);
    new Logger('Database').log(`Using the embedded database in ${settings.dataDir}/pgdata`);
  }
  const dataSource = new DataSource(
    dataSourceOptions({
      url: settings.databaseUrl ?? embedded!.url,
      embedded: embedded !== null,
      connectTimeoutMs: settings.databaseConnectTimeoutMs,
      statementTimeoutMs: settings.databaseStatementTimeoutMs,
    }),
  );
  configurePasswordHashing({ concurrency: settings.passwordHashConcurrency, queue: settings.passwordHashQueue });
  try {
    const vault = new TokenVault(loadVaultKey(settings));
    await dataSource.initialize();
    const bootstrap = await withStartupLock(dataSource, async (runner) => {
      await runMigrations(dataSource, runner);
      await checkVaultFingerprint(runner, vault);
      return ensureBootstrapAdmin(runner, settings);
    });
    if (bootstrap.created && bootstrap.generatedPassword) {
      (options.banner ?? ((text) => process.stdout.write(text)))(adminBanner(bootstrap.generatedPassword));
    } else if (bootstrap.created) {
      new Logger('Bootstrap').log('Created the admin account with the configured bootstrap password');
    }

    // Node's server offers each request to the proxy first (modules/proxy/proxy-http.ts); the rest
    // is Fastify's. The proxy is bound once Nest has built it, before the server listens.
    let proxyFront: ProxyHttp | null = null;
    let proxySockets: ProxyWebSockets | null = null;
    const adapter = new FastifyAdapter({
      serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
        const server = createServer((req, res) => {
          if (!proxyFront?.dispatch(req, res)) handler(req, res);
        });
        // Responses over WebSocket (modules/proxy/websocket/): the only upgrades the server takes.
        server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
          if (proxySockets) proxySockets.upgrade(req, socket, head);
          else socket.destroy();
        });
        return server;
      },
      // Fastify serves the dashboard API only (the proxy reads its own bodies, under its own limit).
      bodyLimit: settings.apiBodyLimitBytes,
      // One trust rule for request.ip (throttles, sessions, audit) and the proxy's client address.
      trustProxy: trustFunction(settings.trustProxy),
      genReqId: () => randomUUID(),
      requestIdHeader: false,
      return503OnClosing: true,
      // Router errors (a path that does not decode) in our envelope, without echoing the URL.
      frameworkErrors: answerFrameworkError,
    });
    const app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot(settings, dataSource, vault),
      adapter,
      {
        logger: options.logger ?? LEVELS[settings.logLevel],
        bufferLogs: false,
        bodyParser: false,
      },
    );
    proxyFront = app.get(ProxyHttp, { strict: false });
    proxySockets = app.get(ProxyWebSockets, { strict: false });
    await app.register(fastifyCookie as never);
    await app.register(fastifyMultipart as never, { limits: { fileSize: 256 * 1024, files: 1 } });
    const fastify = app.getHttpAdapter().getInstance();
    // Answers x-request-id and opens the request context the audit log reads.
    installRequestContext(fastify);
    registerBodyParsers(
      adapter,
      fastify.getDefaultJsonParser('error', 'error') as unknown as BodyParser,
      settings.apiBodyLimitBytes,
    );
    await app.init();

    return {
      app,
      dataSource,
      bootstrap,
      async close() {
        // Stop accepting connections and let in-flight streams finish (bounded), so their logs
        // and limit settlements are recorded before the writers flush on module shutdown.
        const server = app.getHttpServer();
        proxyFront?.stopAccepting();
        proxySockets?.stopAccepting();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await app.get(ProxyService, { strict: false }).drain(DRAIN_TIMEOUT_MS);
        // WebSocket turns were among the drained requests; their sockets close now.
        await proxySockets?.closeAll();
        // Finished keep-alive connections no longer hold the server open.
        server.closeIdleConnections();
        const cap = setTimeout(() => server.closeAllConnections(), 2_000);
        await closed;
        clearTimeout(cap);
        await app.close();
        if (dataSource.isInitialized) await dataSource.destroy();
        await embedded?.stop();
      },
    };
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
    throw error;
  }
}
