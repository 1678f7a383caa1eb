// Micro-benchmark: the per-request cost of API key authentication on a cache hit, the path every
// proxied request takes. It drives the real ApiKeyAuthService (SHA-256, cache lookup,
// constant-time compare, expiry check, last-used bookkeeping) with a repository stand-in that
// answers the one miss, since a hit never reaches the database. Not a test: it prints figures.
//
//   npm run bench:key-auth -w @codex-lb/api        (target: under 20 µs per hit)
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { DomainEvents } from '../apps/api/src/common/events';
import { ApiKeyAuthService } from '../apps/api/src/modules/api-keys/api-key-auth.service';
import type { ApiKeyAuthRow, ApiKeysRepository } from '../apps/api/src/modules/api-keys/api-keys.repository';
import { LocalKeyInvalidationBus } from '../apps/api/src/modules/api-keys/key-invalidation';
import { generateSecret } from '../apps/api/src/modules/api-keys/key-secret';

const ITERATIONS = Number(process.env.ITERATIONS ?? 1_000_000);
const TARGET_US = 20;

async function main(): Promise<void> {
  const secret = generateSecret();
  const now = new Date();
  const row: ApiKeyAuthRow = {
    id: '6f0c1a52-3c1e-4a7e-9d2a-5b8f2f1e9c01',
    ownerUserId: '0b5d3c4e-1f2a-4b6c-8d7e-9f0a1b2c3d4e',
    ownerUsername: 'bench',
    name: 'bench',
    prefix: secret.prefix,
    isActive: true,
    expiresAt: new Date(Date.now() + 86_400_000),
    revokedAt: null,
    lastUsedAt: null,
    allowedModels: ['gpt-5.1-codex'],
    accountsRestricted: false,
    accountIds: [],
    allowlistIds: [],
    limits: [{ kind: 'requests', window: 'minute', max: 600, model: null }],
    createdAt: now,
    updatedAt: now,
    keyDigest: secret.digest,
    ownerRole: 'user',
    ownerActive: true,
  };
  let lookups = 0;
  const repository = {
    findByDigest: async (digest: string) => (lookups++, digest === secret.digest ? row : null),
    touchLastUsed: async () => undefined,
  } as unknown as ApiKeysRepository;
  const service = new ApiKeyAuthService(repository, new LocalKeyInvalidationBus(), new DomainEvents());
  service.onModuleInit();

  const headers = { authorization: `Bearer ${secret.key}` };
  await service.authenticateHeaders(headers); // the one miss fills the cache
  for (let i = 0; i < 50_000; i++) await service.authenticateHeaders(headers); // warm up the JIT

  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    for (let i = 0; i < ITERATIONS; i++) await service.authenticateHeaders(headers);
    runs.push(((performance.now() - start) * 1000) / ITERATIONS);
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)];
  await service.onModuleDestroy();

  console.log(
    `key authentication, cache hit (Authorization header parsed, ${ITERATIONS.toLocaleString()} calls x 5 runs)`,
  );
  console.log(
    `  per request: median ${median.toFixed(2)} µs, best ${runs[0].toFixed(2)} µs, worst ${runs[4].toFixed(2)} µs`,
  );
  console.log(`  throughput:  ${Math.round(1e6 / median).toLocaleString()} authentications/s on one core`);
  console.log(`  database lookups: ${lookups} (the first call only)`);
  console.log(`  target < ${TARGET_US} µs: ${median < TARGET_US ? 'met' : 'NOT MET'}`);
  if (lookups !== 1) throw new Error('a cache hit reached the repository');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
