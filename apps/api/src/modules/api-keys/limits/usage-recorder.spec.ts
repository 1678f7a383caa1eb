import { Logger } from '@nestjs/common';
import type { DeadLetterRepository } from '../../../common/write-behind/dead-letter.repository';
import type { DeadLetter } from '../../../common/write-behind/write-behind';
import { WriteBehindRegistry } from '../../../common/write-behind/write-behind.registry';
import type { ApiKeysRepository, UsageRow } from '../api-keys.repository';
import { KeyUsageRecorder } from './usage-recorder';

const KEY_A = '00000000-0000-4000-8000-00000000000a';
const KEY_B = '00000000-0000-4000-8000-00000000000b';
const AT = Date.UTC(2026, 0, 15, 12);
const ONE = { requests: 1, inputTokens: 10, outputTokens: 5, totalTokens: 15, costUsd: 0.01 };

function setup() {
  const stored: UsageRow[] = [];
  const letters: DeadLetter[] = [];
  const state = { down: false };
  const repo = {
    addUsage: async (rows: UsageRow[]) => {
      if (state.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      // What varchar(128) and a NUL would make Postgres refuse.
      if (rows.some((r) => r.model.length > 128 || r.model.includes('\0') || r.model === 'refused')) {
        throw Object.assign(new Error('value too long'), { code: '22001' });
      }
      stored.push(...rows.map((r) => ({ ...r })));
    },
    loadUsage: async () => [],
  } as unknown as ApiKeysRepository;
  const registry = new WriteBehindRegistry({
    store: async (l: readonly DeadLetter[]) => void letters.push(...l),
  } as unknown as DeadLetterRepository);
  return { recorder: new KeyUsageRecorder(repo, registry), stored, letters, state, registry };
}

describe('KeyUsageRecorder', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());

  it('cleans the model, so a NUL or lone surrogate meters like any other model', async () => {
    const { recorder, stored } = setup();
    recorder.record(KEY_A, 'gpt-5\u0000', AT, ONE);
    recorder.record(KEY_A, '\ud800', AT, ONE);
    recorder.record(KEY_B, 'm'.repeat(300), AT, ONE);
    await recorder.flush();
    expect(new Set(stored.map((r) => r.model))).toEqual(new Set(['gpt-5', '\ufffd', 'm'.repeat(128)]));
    expect(stored).toHaveLength(12);
  });

  it('writes every other key when one row is refused, and dead-letters that row on shutdown', async () => {
    const { recorder, stored, letters, registry } = setup();
    recorder.record(KEY_A, 'refused', AT, ONE);
    recorder.record(KEY_B, 'gpt-5', AT, ONE);
    await recorder.flush();
    expect(stored.map((r) => r.apiKeyId)).toEqual([KEY_B, KEY_B, KEY_B, KEY_B]);
    expect(registry.stats().keyUsage).toMatchObject({ pending: 4, retrying: 4 });
    // The next request's usage still reaches the database.
    recorder.record(KEY_B, 'gpt-5', AT + 1, ONE);
    await recorder.flush();
    expect(stored.filter((r) => r.apiKeyId === KEY_B)).toHaveLength(8);
    await recorder.onModuleDestroy();
    expect(letters).toHaveLength(4);
    expect(letters.every((l) => (l.payload as UsageRow).apiKeyId === KEY_A)).toBe(true);
  });

  it('sums usage through an outage into one row per key, window and model, counted by a seed', async () => {
    const { recorder, stored, state } = setup();
    state.down = true;
    for (let i = 0; i < 5; i++) {
      recorder.record(KEY_A, 'gpt-5', AT + i, ONE);
      await recorder.flush();
    }
    expect(recorder.stats().pending).toBe(4);
    const seeded = await recorder.baseline([KEY_A], [{ window: 'daily', start: Date.UTC(2026, 0, 15) }]);
    expect(seeded.reduce((sum, r) => sum + r.requests, 0)).toBe(5);
    state.down = false;
    await recorder.flush();
    expect(stored).toHaveLength(4);
    expect(stored.every((r) => r.requests === 5 && r.totalTokens === 75)).toBe(true);
  });

  it('counts a NaN or negative amount as nothing rather than poisoning the row', async () => {
    const { recorder, stored } = setup();
    recorder.record(KEY_A, 'gpt-5', AT, { ...ONE, costUsd: Number.NaN, inputTokens: -3 });
    recorder.record(KEY_A, 'gpt-5', AT, ONE);
    await recorder.flush();
    expect(stored[0]).toMatchObject({ requests: 2, inputTokens: 10, costUsd: 0.01 });
  });
});
