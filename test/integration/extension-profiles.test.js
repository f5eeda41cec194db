'use strict';
// Take Heap Snapshot, Start / Stop CPU Profile and Compare Heap Snapshots of the bundled
// extension (dist/extension.js), with VS Code replaced by the recording stand-in of
// extension-vscode-fake.js (plus the few calls these commands make: progress, open dialog,
// untitled documents). The session server, the agent and the profiled apps are real Node
// processes started with the profiling terminal's environment; the files they write are
// parsed with the real parser.
const { ROOT, DIST, CORE, CLI } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { fakeVscode, loadExtension, until } = require('../helpers/vscode-fake');

const core = require(CORE);

// Leaks 500 LeakyThing per "leak" line on stdin, burns CPU in a named function, says "ready".
const APP = `
class LeakyThing { constructor(i) { this.index = i; this.label = 'leaky-' + i; } }
const kept = [];
function busyLoop() { let s = 0; for (let i = 0; i < 2e5; i++) s += Math.sqrt(i); return s; }
setInterval(busyLoop, 5);
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  for (let i; (i = buf.indexOf('\\n')) >= 0; buf = buf.slice(i + 1)) {
    if (buf.slice(0, i) === 'leak') {
      for (let k = 0; k < 500; k++) kept.push(new LeakyThing(k));
      console.log('leaked ' + kept.length);
    }
  }
});
console.log('ready');
`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-ext-profiles-'));
const APP_FILE = path.join(tmp, 'app.js');
fs.writeFileSync(APP_FILE, APP);
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The stand-in plus what these commands use; `answers` script the dialogs and picks. */
function activate(t, { workspace = true, settings = {} } = {}) {
  const { vscode, rec } = fakeVscode({ 'perfLens.openChartsOnConnect': false, ...settings });
  Object.assign(rec, { progress: [], dialogs: [], picks: [], documents: [], shown: [], answers: { dialogs: [], pick: null } });
  vscode.ProgressLocation = { SourceControl: 1, Window: 10, Notification: 15 };
  vscode.window.withProgress = async (options, task) => {
    const entry = { options, reports: [] };
    rec.progress.push(entry);
    return task({ report: (r) => entry.reports.push(r) }, { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) });
  };
  vscode.window.showOpenDialog = async (options) => {
    rec.dialogs.push(options);
    const next = rec.answers.dialogs.shift();
    return next && next.map((p) => vscode.Uri.file(p));
  };
  vscode.window.showQuickPick = async (items, options) => {
    rec.picks.push({ items, options });
    return rec.answers.pick ? items.find(rec.answers.pick) : undefined;
  };
  vscode.workspace.openTextDocument = async ({ language, content }) => {
    const doc = { languageId: language, getText: () => content, uri: { scheme: 'untitled' } };
    rec.documents.push(doc);
    return doc;
  };
  vscode.window.showTextDocument = async (doc) => void rec.shown.push(doc);
  const folder = path.join(tmp, `ws-${Math.random().toString(36).slice(2, 8)}`);
  if (workspace) {
    fs.mkdirSync(folder);
    vscode.workspace.workspaceFolders = [{ uri: vscode.Uri.file(folder), name: 'ws', index: 0 }];
  }
  const context = { subscriptions: [], extensionPath: path.dirname(DIST) };
  const ext = loadExtension(DIST, vscode);
  ext.activate(context);
  const children = [];
  t.after(async () => {
    for (const c of children) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await ext.deactivate();
    for (const d of context.subscriptions) d.dispose();
  });
  // The extension's wrapper returns nothing: what a command did is read from what the user sees.
  const run = (id, ...args) => rec.commands.get(id)(...args);
  /** Runs a command; the file it opened in VS Code, or undefined. */
  const runOpen = async (id, ...args) => {
    const before = rec.executed.length;
    await run(id, ...args);
    return rec.executed.slice(before).find((e) => e.id === 'vscode.open')?.args[0].fsPath;
  };
  /** Runs a command; the document it showed, or undefined. */
  const runShow = async (id, ...args) => {
    const before = rec.shown.length;
    await run(id, ...args);
    return rec.shown[before];
  };
  /** Starts the app as a profiling terminal would; resolves once it is listed as connected. */
  async function startApp() {
    if (!rec.terminals.length) await run('perfLens.openTerminal');
    const env = rec.terminals[0].options.env;
    const child = spawn(process.execPath, [APP_FILE], { cwd: tmp, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const app = { child, exited: new Promise((r) => child.once('exit', r)), stdout: () => stdout };
    children.push(app);
    const rows = () => rec.trees.get('perfLens.processes').getChildren();
    await until(() => rows().some((r) => rec.trees.get('perfLens.processes').getTreeItem(r).description?.startsWith(`pid ${child.pid} `)), `process ${child.pid} to connect (${stderr})`);
    app.leak = async () => {
      const before = (stdout.match(/leaked/g) || []).length;
      child.stdin.write('leak\n');
      await until(() => (stdout.match(/leaked/g) || []).length > before, 'the app to leak');
    };
    return app;
  }
  return { vscode, rec, run, runOpen, runShow, folder, startApp };
}

const opened = (rec) => rec.executed.filter((e) => e.id === 'vscode.open').map((e) => e.args[0].fsPath);

test('with no process connected, the profiling commands say so and write nothing', async (t) => {
  const { rec, run, folder } = activate(t);
  await run('perfLens.takeHeapSnapshot');
  assert.match(rec.errors.at(-1), /^Perf Lens: no Node\.js process is connected to take a heap snapshot\. Launch a file/);
  await run('perfLens.startCpuProfile');
  assert.match(rec.errors.at(-1), /no Node\.js process is connected to start a CPU profile/);
  await run('perfLens.stopCpuProfile');
  assert.match(rec.errors.at(-1), /no CPU profile is running\. Start one with "Perf Lens: Start CPU Profile"\./);
  assert.deepEqual(opened(rec), []);
  assert.equal(fs.existsSync(path.join(folder, '.perf-lens')), false);
});

test('Take Heap Snapshot writes <pid>-<time>.heapsnapshot in .perf-lens/, opens it, and it parses; several processes ask which', async (t) => {
  const { rec, run, runOpen, folder, startApp } = activate(t);
  const app = await startApp();
  const file = await runOpen('perfLens.takeHeapSnapshot');
  assert.deepEqual(rec.errors, []);
  assert.equal(path.dirname(file), path.join(folder, '.perf-lens'));
  assert.match(path.basename(file), new RegExp(`^${app.child.pid}-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d-\\d{3}Z\\.heapsnapshot$`));
  assert.deepEqual(opened(rec), [file], 'opened in VS Code');
  assert.equal(rec.progress[0].options.location, 15, 'with a progress notification');
  assert.match(rec.progress[0].options.title, new RegExp(`heap snapshot of app\\.js \\(pid ${app.child.pid}\\)`));
  const graph = await core.parseSnapshotFile(file);
  assert.ok(graph.nodeCount > 10_000, `${graph.nodeCount} nodes`);
  assert.equal(fs.readFileSync(path.join(folder, '.perf-lens', '.gitignore'), 'utf8').split('\n')[1], '*', 'kept out of git');
  assert.equal(rec.picks.length, 0, 'one process: no question');

  // Two processes: a quick pick of both; the one picked writes the snapshot.
  const other = await startApp();
  rec.answers.pick = (item) => item.description === `pid ${other.child.pid}`;
  const second = await runOpen('perfLens.takeHeapSnapshot');
  assert.equal(rec.picks.length, 1);
  assert.deepEqual(rec.picks[0].items.map((i) => i.description).sort(), [`pid ${app.child.pid}`, `pid ${other.child.pid}`].sort());
  assert.ok(rec.picks[0].items.every((i) => i.label === 'app.js'));
  assert.match(path.basename(second), new RegExp(`^${other.child.pid}-.*\\.heapsnapshot$`));
  assert.ok((await core.parseSnapshotFile(second)).nodeCount > 10_000);
  // Escape on the pick: nothing happens.
  rec.answers.pick = null;
  assert.equal(await runOpen('perfLens.takeHeapSnapshot'), undefined);
  assert.deepEqual(opened(rec), [file, second]);
  assert.deepEqual(rec.errors, []);
});

test('Start CPU Profile, then Stop CPU Profile writes a .cpuprofile with the app\'s function and opens it', async (t) => {
  const { rec, run, runOpen, startApp } = activate(t, { workspace: false });
  const app = await startApp();
  await run('perfLens.startCpuProfile');
  assert.deepEqual(rec.errors, []);
  assert.match(rec.infos.at(-1), new RegExp(`^Perf Lens: CPU profile of app\\.js \\(pid ${app.child.pid}\\) started\\.$`));
  await run('perfLens.startCpuProfile'); // a second profile of a process that is profiling
  assert.match(rec.errors.pop(), /none of the connected processes can start a CPU profile/);
  // long enough for busyLoop (every 5 ms) to be sampled even when the machine is busy
  await new Promise((r) => setTimeout(r, 1500));
  const file = await runOpen('perfLens.stopCpuProfile');
  assert.deepEqual(rec.errors, []);
  assert.equal(path.dirname(file), os.tmpdir(), 'no workspace: the temp dir');
  t.after(() => fs.rmSync(file, { force: true }));
  assert.match(path.basename(file), new RegExp(`^${app.child.pid}-.*Z\\.cpuprofile$`));
  assert.deepEqual(opened(rec), [file]);
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(typeof profile.startTime, 'number');
  assert.ok(profile.samples.length > 20, `${profile.samples.length} samples`);
  assert.ok(profile.nodes.some((n) => n.callFrame.functionName === 'busyLoop' && n.callFrame.url.endsWith('app.js')), 'busyLoop is in it');
  // Stopped: nothing left to stop.
  assert.equal(await runOpen('perfLens.stopCpuProfile'), undefined);
  assert.match(rec.errors.at(-1), /no CPU profile is running/);
});

test('Watch for Leaks Now starts the heap sampling a quiet app would start only once its heap grows, and says so', async (t) => {
  const { rec, run, startApp } = activate(t);
  await run('perfLens.watchForLeaks');
  assert.match(rec.errors.pop(), /^Perf Lens: no Node\.js process is connected to watch for leaks\. Launch a file/);
  const app = await startApp();
  const said = (already) =>
    `Perf Lens: watching app.js (pid ${app.child.pid}) for leaks: its allocations are sampled every 128 KB allocated${already}, ` +
    'and a line that keeps memory shows as a finding after about a minute of growth.';
  await run('perfLens.watchForLeaks');
  assert.deepEqual(rec.errors, []);
  // start-up may have grown the heap enough to start it already; then the message says so
  assert.ok([said(''), said(' (they already were)')].includes(rec.infos.at(-1)), rec.infos.at(-1));
  await run('perfLens.watchForLeaks');
  assert.equal(rec.infos.at(-1), said(' (they already were)'));
  assert.deepEqual(rec.errors, []);
});

test('Watch for Leaks Now in an app whose heap sampling is off says so in one sentence', async (t) => {
  const { rec, run, startApp } = activate(t, { settings: { 'perfLens.agent.heapSampling': false } });
  const app = await startApp();
  await run('perfLens.watchForLeaks');
  assert.equal(
    rec.errors.at(-1),
    `Perf Lens: app.js (pid ${app.child.pid}) cannot watch for leaks: heap sampling is off in it (the perfLens.agent.heapSampling setting when it started).`,
  );
});

/** Three snapshots written in-process by the heap fixture (1000 LeakyThing leaked between 1 and 2). */
function fixtureSnapshots(dir) {
  const res = spawnSync(process.execPath, [path.join(ROOT, 'test', 'fixtures', 'heap', 'leaky-app.js'), dir, '1000'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(res.status, 0, res.stderr);
  const files = ['1', '2', '3'].map((n) => path.join(dir, `${n}.heapsnapshot`));
  // Distinct modification times in the order taken, whatever the file system's resolution.
  files.forEach((f, i) => fs.utimesSync(f, new Date(1e12 + i * 1000), new Date(1e12 + i * 1000)));
  return files;
}

test('Compare Heap Snapshots over three real snapshots lists the leaked objects in a new Markdown document', async (t) => {
  const { rec, run, runShow, folder } = activate(t);
  const dir = path.join(folder, '.perf-lens');
  fs.mkdirSync(dir);
  const [baseline, target, final] = fixtureSnapshots(dir);

  // Three picked at once, in any order: ordered by time.
  rec.answers.dialogs.push([final, baseline, target]);
  const doc = await runShow('perfLens.compareHeapSnapshots');
  assert.deepEqual(rec.errors, []);
  assert.equal(rec.dialogs[0].canSelectMany, true);
  assert.deepEqual(rec.dialogs[0].filters, { 'Heap snapshot': ['heapsnapshot'] });
  assert.equal(rec.dialogs[0].defaultUri.fsPath, dir, 'starts in .perf-lens/');
  assert.equal(doc.languageId, 'markdown');
  const text = doc.getText();
  assert.ok(text.includes(`| baseline | \`${baseline}\` |`) && text.includes(`| target | \`${target}\` |`) && text.includes(`| final | \`${final}\` |`), text);
  assert.match(text, /^\d+ objects in \d+ groups were allocated between the baseline and the target/m);
  const rows = text.split('\n');
  const row = rows.findIndex((l) => /^\s+\d+\s+\d+\s.*\sLeakyThing\b/.test(l));
  assert.ok(row > 0, `a LeakyThing group in:\n${text}`);
  assert.match(rows[row], /^\s+1\s+1000\s+/, 'the largest group: 1000 leaked objects');
  assert.match(rows[row + 1], /retained by: .*LeakRegistry 'registry' → Array 'things'/, 'with what retains them');
  assert.doesNotMatch(text, /TransientThing/, 'freed objects are not listed');
  assert.doesNotMatch(text, /--json/, 'no CLI advice in the editor');
  const progress = rec.progress.at(-1);
  assert.equal(progress.options.location, 15);
  assert.equal(progress.options.title, 'Perf Lens: comparing heap snapshots');
  assert.deepEqual(progress.reports.map((r) => r.message), [
    'reading the baseline snapshot (1/3)…',
    'reading the target snapshot (2/3)…',
    'reading the final snapshot (3/3)…',
    'finding what leaked and what retains it…',
  ]);

  // One at a time: baseline, then target, then final.
  rec.answers.dialogs.push([baseline], [target], [final]);
  const again = await runShow('perfLens.compareHeapSnapshots');
  assert.deepEqual(rec.dialogs.slice(1).map((d) => d.canSelectMany), [true, false, false]);
  assert.equal(again.getText(), text);

  // A file that is not a heap snapshot: one sentence, no document.
  const bad = path.join(dir, 'broken.heapsnapshot');
  fs.writeFileSync(bad, '{"snapshot": {"meta": not json');
  assert.equal(await runShow('perfLens.compareHeapSnapshots', [baseline, bad, final]), undefined);
  const error = rec.errors.pop();
  assert.match(error, /^Perf Lens: The heap snapshot .*broken\.heapsnapshot /);
  assert.equal(error.split('\n').length, 1);
  assert.equal((error.match(/\.(\s|$)/g) || []).length, 1, `one sentence: ${error}`);
  // Two picked at once: told to pick three.
  rec.answers.dialogs.push([baseline, target]);
  assert.equal(await runShow('perfLens.compareHeapSnapshots'), undefined);
  assert.match(rec.errors.pop(), /pick three heap snapshots \(baseline, target, final\) or one at a time; 2 were picked\./);
  assert.deepEqual(rec.errors, []);
  assert.equal(rec.shown.length, 2);
});

// The agent's heapSnapshot command disconnects its inspector session after each snapshot, and
// a disconnect clears V8's heap object ids: objects get new ids in every snapshot, so the diff
// of agent-taken snapshots misses the leak. Passes once src/agent/heap-snapshot.ts keeps one
// session for the life of the process (see the report of this change).
test('three Take Heap Snapshot files of a leaking app compare to the leaked objects', async (t) => {
  const { rec, runOpen, runShow, startApp } = activate(t);
  const app = await startApp();
  const baseline = await runOpen('perfLens.takeHeapSnapshot');
  await app.leak();
  const target = await runOpen('perfLens.takeHeapSnapshot');
  const final = await runOpen('perfLens.takeHeapSnapshot');
  assert.ok(baseline && target && final, rec.errors.join(' '));
  const doc = await runShow('perfLens.compareHeapSnapshots', [baseline, target, final]);
  const row = doc.getText().split('\n').find((l) => /^\s+\d+\s+\d+\s.*\sLeakyThing\b/.test(l));
  assert.match(row ?? '', /^\s+\d+\s+500\s+/, `500 LeakyThing in:\n${doc.getText()}`);
});
