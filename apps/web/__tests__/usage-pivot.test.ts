import { OTHER, pivotUsage } from '@/components/usage/pivot';
import { previousRange } from '@/lib/usage-range';

const point = (bucketStart: string, group: string, requests: number) => ({
  bucketStart,
  group,
  requests,
  inputTokens: 0,
  outputTokens: 0,
  totalTokens: 0,
  costUsd: 0,
});

describe('pivotUsage', () => {
  it('turns flat rows into one row per bucket, zero-filling gaps', () => {
    const { rows, groups } = pivotUsage([point('2030-01-02', 'a', 1), point('2030-01-01', 'b', 5), point('2030-01-02', 'b', 2)], 'requests');
    expect(groups).toEqual(['b', 'a']);
    expect(rows).toEqual([
      { bucketStart: '2030-01-01', a: 0, b: 5 },
      { bucketStart: '2030-01-02', a: 1, b: 2 },
    ]);
  });

  it('folds small groups into Other', () => {
    const points = ['a', 'b', 'c', 'd'].map((g, i) => point('t', g, 10 - i));
    const { groups, rows } = pivotUsage(points, 'requests', 3);
    expect(groups).toEqual(['a', 'b', OTHER]);
    expect(rows[0][OTHER]).toBe(8 + 7);
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
