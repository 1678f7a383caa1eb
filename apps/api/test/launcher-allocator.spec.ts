// The launchers (npm start, the bench) run the API with jemalloc where it is installed
// (scripts/allocator.mjs). These specs run the launcher's module in child processes, and check
// that a Node process started with its environment really has jemalloc mapped.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const MODULE = pathToFileURL(join(__dirname, '../../../scripts/allocator.mjs')).href;

type Outcome = {
  env?: Record<string, string>;
  /** allocatorOf() of the environment the launcher would start the API with. */
  allocator?: 'jemalloc' | 'system';
  error?: string;
  candidates?: string[];
};

/** allocatorEnv(env, libraries?) as the launcher calls it, in a fresh Node process. */
function allocatorEnv(env: Record<string, string>, libraries?: string[]): Outcome {
  const script = `
    import { allocatorEnv, allocatorOf, candidates } from ${JSON.stringify(MODULE)};
    const env = JSON.parse(process.argv[1]);
    const libraries = process.argv[2] ? JSON.parse(process.argv[2]) : undefined;
    try {
      const added = allocatorEnv(env, libraries);
      console.log(JSON.stringify({ env: added, allocator: allocatorOf({ ...env, ...added }), candidates: candidates() }));
    } catch (error) {
      console.log(JSON.stringify({ error: error.message }));
    }`;
  const args = ['--input-type=module', '-e', script, JSON.stringify(env)];
  if (libraries) args.push(JSON.stringify(libraries));
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })) as Outcome;
}

describe('the API process allocator (scripts/allocator.mjs)', () => {
  const installed = allocatorEnv({}).candidates!.find((path) => existsSync(path));

  it('preloads an installed libjemalloc with its decay settings, and a Node process started so has it mapped', () => {
    const outcome = allocatorEnv({ CODEX_LB_ALLOCATOR: 'auto' });
    if (!installed) {
      // Not installed here: nothing is preloaded, and nothing fails.
      expect(outcome.env).toEqual({});
      expect(outcome.allocator).toBe('system');
      return;
    }
    expect(outcome.allocator).toBe('jemalloc');
    expect(outcome.env).toEqual({
      LD_PRELOAD: installed,
      MALLOC_CONF: 'background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0',
    });
    const maps = execFileSync(
      process.execPath,
      ['-e', "process.stdout.write(require('fs').readFileSync('/proc/self/maps', 'utf8'))"],
      { encoding: 'utf8', env: { ...process.env, ...outcome.env } },
    );
    expect(maps).toContain('libjemalloc');
  });

  it("keeps what was already preloaded, after the library, and an operator's own MALLOC_CONF", () => {
    const outcome = allocatorEnv({ LD_PRELOAD: '/opt/other.so', MALLOC_CONF: 'narenas:2' }, ['/bin/sh']);
    expect(outcome.env).toEqual({ LD_PRELOAD: '/bin/sh /opt/other.so', MALLOC_CONF: 'narenas:2' });
  });

  it('leaves the environment alone for CODEX_LB_ALLOCATOR=system, or when jemalloc is already preloaded', () => {
    expect(allocatorEnv({ CODEX_LB_ALLOCATOR: 'system' }, ['/bin/sh']).env).toEqual({});
    expect(allocatorEnv({ CODEX_LB_ALLOCATOR: ' System ' }, ['/bin/sh']).env).toEqual({});
    const preloaded = allocatorEnv({ LD_PRELOAD: '/usr/local/lib/libjemalloc.so.2' }, ['/bin/sh']);
    expect(preloaded.env).toEqual({});
    // Reported from the whole environment: jemalloc preloaded by the operator is still jemalloc.
    expect(preloaded.allocator).toBe('jemalloc');
    expect(allocatorEnv({ CODEX_LB_ALLOCATOR: 'system' }, ['/bin/sh']).allocator).toBe('system');
  });

  it('falls back to the system allocator when none is installed, unless jemalloc was asked for', () => {
    expect(allocatorEnv({}, ['/nonexistent/libjemalloc.so.2']).env).toEqual({});
    expect(allocatorEnv({}, ['/nonexistent/libjemalloc.so.2']).allocator).toBe('system');
    expect(allocatorEnv({ CODEX_LB_ALLOCATOR: '' }, ['/nonexistent/libjemalloc.so.2']).env).toEqual({});
    expect(allocatorEnv({ CODEX_LB_ALLOCATOR: 'jemalloc' }, ['/nonexistent/libjemalloc.so.2']).error).toMatch(
      /CODEX_LB_ALLOCATOR=jemalloc, but libjemalloc\.so\.2 is not installed/,
    );
  });

  it("the Docker image preloads jemalloc with the launcher's own settings (the Dockerfile's copy of them)", () => {
    const dockerfile = readFileSync(join(__dirname, '../../../Dockerfile'), 'utf8');
    const conf = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { JEMALLOC_CONF } from ${JSON.stringify(MODULE)}; process.stdout.write(JEMALLOC_CONF);`,
      ],
      { encoding: 'utf8' },
    );
    expect(dockerfile).toContain('LD_PRELOAD=/usr/local/lib/libjemalloc.so.2');
    expect(dockerfile).toContain(`MALLOC_CONF=${conf}\n`);
  });

  it('refuses an unknown value, naming the variable', () => {
    expect(allocatorEnv({ CODEX_LB_ALLOCATOR: 'tcmalloc' }).error).toBe(
      'CODEX_LB_ALLOCATOR must be auto, jemalloc or system (got "tcmalloc")',
    );
  });
});
