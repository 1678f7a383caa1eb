// The launchers start the API with the heap flags it cannot set itself (scripts/api-node-flags.mjs):
// npm start and the bench through the module, the Docker image and the compose file by hand. These
// specs run the module in child processes, hold the Dockerfile and the compose file to the same
// flags, and check that a Node process started with them has the smaller young generation.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(__dirname, '../../..');
const MODULE = pathToFileURL(join(ROOT, 'scripts/api-node-flags.mjs')).href;

/** API_NODE_FLAGS and apiNodeFlags(nodeOptions), in a fresh Node process. */
function flags(nodeOptions = ''): { all: string[]; chosen: string[] } {
  const script = `
    import { API_NODE_FLAGS, apiNodeFlags } from ${JSON.stringify(MODULE)};
    console.log(JSON.stringify({ all: API_NODE_FLAGS, chosen: apiNodeFlags(JSON.parse(process.argv[1])) }));`;
  // As JSON, so that Node does not read a value starting with -- as its own option.
  const args = ['--input-type=module', '-e', script, JSON.stringify(nodeOptions)];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })) as { all: string[]; chosen: string[] };
}

describe('the API process Node flags (scripts/api-node-flags.mjs)', () => {
  const { all } = flags();

  it('gives the API a young generation of 2 x 8 MB, unless NODE_OPTIONS sizes it (in either spelling)', () => {
    expect(all).toEqual(['--max-semi-space-size=8']);
    expect(flags('').chosen).toEqual(all);
    expect(flags('--max-old-space-size=2048 --enable-source-maps').chosen).toEqual(all);
    expect(flags('--max-semi-space-size=32').chosen).toEqual([]);
    expect(flags('  --max_semi_space_size=4 ').chosen).toEqual([]);
  });

  it('are the flags of the Dockerfile CMD and of the compose file command', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    expect(JSON.parse(cmd![1])).toEqual(['node', ...all, 'apps/api/dist/main.js']);
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const command = /^ {2}command: (\[.*\])$/m.exec(compose);
    expect(JSON.parse(command![1].replace(/'/g, '"'))).toEqual(['node', ...all, 'apps/api/dist/main.js']);
  });

  it('hold the young generation of a process started with them at 16 MB under allocation', () => {
    // Enough short-lived allocation, with some of it surviving, for V8 to grow the young
    // generation to its maximum (32 MB with Node 20's defaults).
    const script = `
      let keep = [];
      for (let i = 0; i < 3e6; i++) { keep.push({ a: i, b: [i] }); if (keep.length > 200000) keep = []; }
      const space = require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
      console.log(space.space_size);`;
    const size = Number(execFileSync(process.execPath, [...all, '-e', script], { encoding: 'utf8' }).trim());
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThanOrEqual(16 * 1024 * 1024);
  });
});
