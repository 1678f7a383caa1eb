import { estimateCostUsd, modelMatches, priceFor } from './pricing';

describe('model pricing', () => {
  it('prices exact names and families, longest prefix first', () => {
    expect(priceFor('gpt-5.1-codex')).toEqual({ input: 1.25, cachedInput: 0.125, output: 10 });
    expect(priceFor('GPT-5.1-Codex-Mini')?.input).toBe(0.25);
    expect(priceFor('gpt-5.1-codex-mini-2025-11-13')?.input).toBe(0.25);
    expect(priceFor('gpt-5.1-codex-high')?.input).toBe(1.25);
    expect(priceFor('gpt-5.2-codex')?.output).toBe(14);
    expect(priceFor('openai/gpt-5-nano')?.output).toBe(0.4);
    expect(priceFor('gpt-5-2025-08-07')?.input).toBe(1.25);
  });

  it('has no price, not a zero price, for unknown models', () => {
    expect(priceFor('llama-3')).toBeNull();
    expect(priceFor('')).toBeNull();
    expect(priceFor('gpt-5.1-codex-*')).toBeNull();
    expect(estimateCostUsd('llama-3', { inputTokens: 10, outputTokens: 10 })).toBeNull();
  });

  it('bills cached input at the cached rate and never below zero', () => {
    const cost = estimateCostUsd('gpt-5', {
      inputTokens: 1_000_000,
      cachedInputTokens: 400_000,
      outputTokens: 100_000,
    });
    expect(cost).toBeCloseTo(0.6 * 1.25 + 0.4 * 0.125 + 0.1 * 10, 10);
    expect(estimateCostUsd('gpt-5', { inputTokens: 10, cachedInputTokens: 50, outputTokens: -5 })).toBeCloseTo(
      (10 * 0.125) / 1e6,
      12,
    );
  });

  it('matches allowlist patterns', () => {
    expect(modelMatches('gpt-5.1-codex', 'GPT-5.1-codex')).toBe(true);
    expect(modelMatches('gpt-5.1-codex', 'gpt-5.1-codex-mini')).toBe(false);
    expect(modelMatches('gpt-5.1-*', 'gpt-5.1-codex-mini')).toBe(true);
    expect(modelMatches('gpt-5.1-*', null)).toBe(false);
  });
});
