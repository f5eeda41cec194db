// Bundles the four outputs: extension (CommonJS, `vscode` external), agent (one
// self-contained file that loads into any app), CLI (with a shebang) and webview (browser ESM).
const esbuild = require('esbuild');
const path = require('node:path');

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const node = { ...common, platform: 'node', target: 'node20', format: 'cjs' };

/** Optional native speed-ups of `ws`: absent is fine, it falls back to JavaScript. */
const wsOptional = ['bufferutil', 'utf-8-validate'];
/** Packages that load files of their own at run time stay in node_modules (none so far). */
const runtimeLoaded = [];

const builds = [
  {
    ...node,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode', ...wsOptional, ...runtimeLoaded],
  },
  {
    ...node,
    entryPoints: ['src/agent/index.ts'],
    outfile: 'dist/agent.js',
    external: wsOptional,
    // The agent lives in someone else's process: no source map comment that could confuse
    // their tools, and no minification so its frames stay readable in their stack traces.
    sourcemap: false,
    minify: false,
  },
  {
    ...node,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    external: [...wsOptional, ...runtimeLoaded],
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // Heap snapshots are parsed off the main thread, in a worker of their own.
    ...node,
    entryPoints: ['src/core/heap/parse-worker.ts'],
    outfile: 'dist/heap-worker.js',
  },
  {
    // The core as a library: what the tests and benches load, and what scripts can reuse.
    ...node,
    entryPoints: ['src/core/index.ts'],
    outfile: 'dist/core.js',
    external: [...wsOptional, ...runtimeLoaded],
  },
  {
    ...common,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    entryPoints: ['webview-ui/main.ts'],
    outfile: 'dist/webview.js',
  },
];

async function main() {
  const fs = require('node:fs');
  const present = builds.filter((b) => b.entryPoints.every((e) => fs.existsSync(path.join(__dirname, e))));
  if (watch) {
    for (const b of present) await (await esbuild.context(b)).watch();
    return;
  }
  await Promise.all(present.map((b) => esbuild.build(b)));
  // libpg-query is bundled; its Emscripten loader finds the WASM next to the bundle (__dirname).
  fs.copyFileSync(path.join(__dirname, 'node_modules/libpg-query/wasm/libpg-query.wasm'), path.join(__dirname, 'dist/libpg-query.wasm'));
  // The charts panel links VS Code's codicon font for its icons; the .vsix ships a copy.
  const codicons = path.join(__dirname, 'node_modules/@vscode/codicons/dist');
  fs.mkdirSync(path.join(__dirname, 'dist/codicons'), { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(path.join(codicons, f), path.join(__dirname, 'dist/codicons', f));
  fs.chmodSync(path.join(__dirname, 'dist/cli.js'), 0o755);
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
