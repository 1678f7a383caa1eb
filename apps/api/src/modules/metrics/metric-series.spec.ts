import { Registry } from 'prom-client';
import { FastCounter, FastHistogram, registerFast } from './metric-series';
import { modelLabel, statusClassLabel, statusLabel } from './metric-labels';

describe('metric series', () => {
  it('caches one child per label combination and renders Prometheus text', async () => {
    const registry = new Registry();
    const counter = new FastCounter('t_requests_total', 'Requests.', ['route', 'status']);
    registerFast(registry, counter);
    const a = counter.child('/a', '200');
    a.value++;
    counter.child('/a', '200').value++;
    counter.child('/a', '500').value += 2;
    expect(counter.child('/a', '200')).toBe(a);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE t_requests_total counter');
    expect(text).toContain('t_requests_total{route="/a",status="200"} 2');
    expect(text).toContain('t_requests_total{route="/a",status="500"} 2');
  });

  it('folds values past a level’s cap into `other`', () => {
    const counter = new FastCounter('t_capped_total', 'Capped.', ['model'], 3);
    for (const model of ['a', 'b', 'c', 'd', 'e']) counter.child(model).value++;
    expect(counter.child('d')).toBe(counter.child('other'));
    expect(counter.child('other').value).toBe(2);
    expect(counter.child('a').value).toBe(1);
  });

  it('keeps cumulative histogram buckets ending in +Inf equal to the count', async () => {
    const registry = new Registry();
    const histogram = new FastHistogram('t_seconds', 'Latency.', ['route'], [0.1, 1]);
    registerFast(registry, histogram);
    const child = histogram.child('/a');
    for (const value of [0.05, 0.1, 0.5, 2]) histogram.observe(child, value);
    const text = await registry.metrics();
    expect(text).toContain('t_seconds_bucket{route="/a",le="0.1"} 2');
    expect(text).toContain('t_seconds_bucket{route="/a",le="1"} 3');
    expect(text).toContain('t_seconds_bucket{route="/a",le="+Inf"} 4');
    expect(text).toContain('t_seconds_sum{route="/a"} 2.65');
    expect(text).toContain('t_seconds_count{route="/a"} 4');
  });

  it('labels models from the price table only, and statuses by number and class', () => {
    expect(modelLabel('gpt-5.1-codex')).toBe('gpt-5.1-codex');
    expect(modelLabel('openai/GPT-5.1-Codex ')).toBe('gpt-5.1-codex');
    expect(modelLabel('gpt-5.1-codex-2025-11-13')).toBe('gpt-5.1-codex-*');
    expect(modelLabel('gpt-5.1-*')).toBe('other');
    expect(modelLabel('anything a client sends')).toBe('other');
    expect(modelLabel(null)).toBe('none');
    expect([statusLabel(200), statusLabel(499), statusLabel(99), statusLabel(600)]).toEqual([
      '200',
      '499',
      'other',
      'other',
    ]);
    expect([statusClassLabel(201), statusClassLabel(503), statusClassLabel(0)]).toEqual(['2xx', '5xx', 'other']);
  });
});
