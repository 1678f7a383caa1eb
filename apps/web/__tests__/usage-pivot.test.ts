import type { UsagePointDto, UsageSeriesDto } from '@codex-lb/shared';
import { OTHER, pivotUsage } from '@/components/usage/pivot';
import { previousRange } from '@/lib/usage-range';

const point = (t: string, requests: number): UsagePointDto => ({
  t,
  requests,
  errors: 0,
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  totalTokens: 0,
  costUsd: 0,
});

const series = (label: string, points: UsagePointDto[], key: string | null = label): UsageSeriesDto => ({
  key,
  label,
  points,
});

describe('pivotUsage', () => {
  it('turns series into one row per bucket, zero-filling buckets a series has no points in', () => {
    const { rows, groups } = pivotUsage(
      [series('a', [point('2030-01-02', 1)]), series('b', [point('2030-01-01', 5), point('2030-01-02', 2)])],
      'requests',
    );
    expect(groups).toEqual(['b', 'a']);
    expect(rows).toEqual([
      { t: '2030-01-01', a: 0, b: 5 },
      { t: '2030-01-02', a: 1, b: 2 },
    ]);
  });

  it('folds small groups into Other', () => {
    const input = ['a', 'b', 'c', 'd'].map((g, i) => series(g, [point('t', 10 - i)]));
    const { groups, rows } = pivotUsage(input, 'requests', 3);
    expect(groups).toEqual(['a', 'b', OTHER]);
    expect(rows[0][OTHER]).toBe(8 + 7);
  });

  it('adds up series that share a label and names a keyless series by its label', () => {
    const { groups, rows } = pivotUsage(
      [
        series('same', [point('t', 1)], 'id-1'),
        series('same', [point('t', 2)], 'id-2'),
        series('No key', [point('t', 4)], null),
      ],
      'requests',
    );
    expect(groups).toEqual(['No key', 'same']);
    expect(rows).toEqual([{ t: 't', same: 3, 'No key': 4 }]);
  });
});

describe('previousRange', () => {
  it('is the equally long period just before', () => {
    expect(previousRange({ from: '2030-01-08T00:00:00.000Z', to: '2030-01-15T00:00:00.000Z' })).toEqual({
      from: '2030-01-01T00:00:00.000Z',
      to: '2030-01-08T00:00:00.000Z',
    });
  });
});
