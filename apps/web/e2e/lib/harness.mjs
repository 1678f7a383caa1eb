// A tiny step runner: named steps, each passes or fails on its own; a step whose prerequisite
// failed is counted as failed without running, so one broken step does not cost a timeout in
// every later step.
export function createHarness({ log = console.log } = {}) {
  const results = [];
  const outcome = new Map();
  let aborted = null;

  async function step(name, fn, { requires = [] } = {}) {
    const missing = requires.filter((dep) => outcome.get(dep) !== true);
    const started = Date.now();
    if (aborted || missing.length) {
      const reason = aborted ?? `skipped: needs ${missing.map((dep) => `"${dep}"`).join(', ')}`;
      results.push({ name, ok: false, error: reason, ms: 0 });
      outcome.set(name, false);
      log(`  ✗ ${name} (${reason})`);
      return undefined;
    }
    try {
      const value = await fn();
      const ms = Date.now() - started;
      results.push({ name, ok: true, ms });
      outcome.set(name, true);
      log(`  ✓ ${name} (${ms} ms)`);
      return value;
    } catch (error) {
      const ms = Date.now() - started;
      const message = error instanceof Error ? error.message : String(error);
      results.push({ name, ok: false, error: message, ms });
      outcome.set(name, false);
      log(`  ✗ ${name} (${ms} ms)\n${message.replace(/^/gm, '      ')}`);
      return undefined;
    }
  }

  const summary = () => ({
    passed: results.filter((r) => r.ok).length,
    failed: results.filter((r) => !r.ok).length,
    steps: results,
  });

  /** Every later step fails at once with `reason` (an interrupted run stops driving the browser). */
  const abort = (reason) => {
    aborted = reason;
  };

  return { step, summary, abort, passed: (name) => outcome.get(name) === true };
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}
