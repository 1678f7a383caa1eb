// Builds what the run needs when it is missing or older than its sources, so a fresh checkout
// (CI) works and a local run after an edit does not test yesterday's build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SKIP = new Set(['node_modules', '.next', 'dist', 'e2e', '__tests__', 'test', 'coverage']);

/** Newest modification time of any file under the given paths (skipping build output). */
function newestSource(paths) {
  let newest = 0;
  const walk = (path) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) if (!SKIP.has(entry)) walk(join(path, entry));
    } else if (!/\.(spec|test)\.tsx?$/.test(path)) {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  paths.forEach(walk);
  return newest;
}

function builtAt(marker) {
  return existsSync(marker) ? statSync(marker).mtimeMs : 0;
}

export function ensureBuilt(root, { force = false, log = console.log } = {}) {
  const shared = join(root, 'libs/shared');
  const api = join(root, 'apps/api');
  const web = join(root, 'apps/web');
  const sharedSrc = [join(shared, 'src'), join(shared, 'tsconfig.json')];
  const targets = [
    { workspace: '@codex-lb/shared', marker: join(shared, 'dist/index.js'), sources: sharedSrc },
    { workspace: '@codex-lb/api', marker: join(api, 'dist/main.js'), sources: [join(api, 'src'), ...sharedSrc] },
    {
      workspace: '@codex-lb/web',
      marker: join(web, '.next/BUILD_ID'),
      sources: ['app', 'components', 'config', 'hooks', 'lib', 'next.config.mjs', 'postcss.config.mjs']
        .map((p) => join(web, p))
        .concat(sharedSrc),
    },
  ];
  for (const target of targets) {
    const built = builtAt(target.marker);
    if (!force && built && built >= newestSource(target.sources)) continue;
    log(`  building ${target.workspace} (${built ? 'older than its sources' : 'missing'})`);
    const started = Date.now();
    const result = spawnSync('npm', ['run', 'build', '-w', target.workspace], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new Error(
        `npm run build -w ${target.workspace} failed:\n${`${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-40).join('\n')}`,
      );
    }
    log(`  built ${target.workspace} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}
