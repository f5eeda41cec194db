// Waits for connections the app checks out of a pool itself, against real PostgreSQL and
// MariaDB: node-postgres's `pool.connect()` (promise and callback), mysql2's
// `pool.getConnection()` (callback and mysql2/promise), mariadb's (promise and callback), and the
// pools Sequelize (with and without read replication) and knex keep on mysql2. Three checkouts at
// once on a pool of one connection: the first query of each checkout carries the time from the app's call to the handoff
// (`poolWaitMs`, with the pool's size in `poolMax`) — none (0) when the pool opened the connection
// for it, as opening is not queueing; its later queries carry none; and the pool's gauges show
// the queue.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startServer, byType } = require('../helpers/agent-harness');
const { startPostgres } = require('../helpers/postgres');
const { startMariadb } = require('../helpers/mariadb');
const { runFixture, queriesAt } = require('../fixtures/capture/run');

const fixtures = path.join(__dirname, '..', 'fixtures', 'capture');

/** The queries at marker `name`, in time order, each checked to be at the app's line. */
function at(run, file, name, count) {
  const found = queriesAt(run.queries, file, run.lines.get(name)).sort((a, b) => a.t - b.t);
  assert.equal(found.length, count, `${name}: ${JSON.stringify(run.queries.map((q) => [q.text.slice(0, 30), q.callsite && q.callsite.line, q.poolWaitMs]))}`);
  return found;
}

/**
 * First queries of checkouts that queued one behind the other for a single connection: each
 * carries its wait and the pool's size, and each later checkout was already waiting when the
 * previous one's first query started (its wait counts from the app's call, not from some later
 * moment), so its wait covers the previous checkout's whole hold.
 */
function assertQueuedOneBehindAnother(firsts, what) {
  for (const q of firsts) {
    assert.equal(typeof q.poolWaitMs, 'number', `${what}: ${q.text} carries a wait`);
    assert.equal(q.poolMax, 1, `${what}: the pool's size`);
  }
  for (let k = 1; k < firsts.length; k++) {
    const askedAt = firsts[k].t - firsts[k].poolWaitMs;
    const previous = firsts[k - 1];
    assert.ok(askedAt <= previous.t + 1, `${what}: checkout ${k + 1} asked at ${askedAt.toFixed(1)}, after checkout ${k}'s query began at ${previous.t.toFixed(1)}`);
    assert.ok(firsts[k].poolWaitMs >= previous.durationMs, `${what}: checkout ${k + 1} waited ${firsts[k].poolWaitMs} ms, less than checkout ${k}'s query (${previous.durationMs} ms)`);
  }
}

/** The checkout the pool opened its connection for: that time was the opening, not a queue. */
function assertOpenedForIt(first, what) {
  assert.equal(first.poolWaitMs, 0, `${what}: the first checkout got a connection opened for it`);
}

function assertNoWait(queries, what) {
  for (const q of queries) assert.equal(q.poolWaitMs, undefined, `${what}: ${q.text} waited for nothing`);
}

/** Each pool's highest counters over the run's `pools` messages, in order of the pools' ids. */
function poolPeaks(srv, pid) {
  const peaks = new Map();
  for (const m of byType(srv.messages, 'pools', pid)) {
    for (const p of m.pools) {
      const seen = peaks.get(p.id) ?? { driver: p.driver, max: p.max, size: 0, inUse: 0, waiting: 0 };
      for (const k of ['size', 'inUse', 'waiting']) seen[k] = Math.max(seen[k], p[k]);
      peaks.set(p.id, seen);
    }
  }
  return [...peaks.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
}

async function runWithPools(srv, file, env) {
  const run = await runFixture(srv, process.execPath, file, { env });
  assert.match(run.result.stdout, /done/);
  const pid = run.queries[0].pid;
  return { ...run, pools: poolPeaks(srv, pid) };
}

describe('node-postgres checkouts: pool.connect()', () => {
  const file = path.join(fixtures, 'pool-checkout-pg.cjs');
  let srv;
  let pg;
  let run;
  before(async () => {
    [srv, pg] = await Promise.all([startServer(), startPostgres()]);
    run = await runWithPools(srv, file, { DATABASE_URL: pg.connectionString });
  });
  after(async () => {
    await Promise.all([srv && srv.close(), pg && pg.stop()]);
  });

  it('await pool.connect(): the first query of each checkout carries its wait, the second none', () => {
    const firsts = at(run, file, 'promise-first', 5);
    assertQueuedOneBehindAnother(firsts.slice(0, 3), 'promise checkouts');
    assertOpenedForIt(firsts[0], 'promise checkouts');
    assertNoWait(at(run, file, 'promise-second', 5), 'second query of a checkout');
  });

  it('pool.connect(callback): the same, through the callback the app gave', () => {
    assertQueuedOneBehindAnother(at(run, file, 'callback-first', 3), 'callback checkouts');
  });

  it('a transaction on a checkout: BEGIN carries the wait, its other queries none, all on one connection', () => {
    const begins = at(run, file, 'tx-begin', 2);
    assertQueuedOneBehindAnother(begins, 'transactions');
    const rest = [...at(run, file, 'tx-body', 2), ...at(run, file, 'tx-commit', 2)];
    assertNoWait(rest, 'inside the transaction');
    for (const q of [...begins, ...rest]) assert.equal(typeof q.conn, 'number');
  });

  it('pool.query next to checkouts: every query recorded once, the queued ones with the wait they had', () => {
    assert.equal(run.queries.length, 22, JSON.stringify(run.queries.map((q) => q.text)));
    const [queued] = at(run, file, 'pool-query', 1);
    const [checkout4] = at(run, file, 'promise-first', 5).slice(3, 4);
    assert.ok(queued.t - queued.poolWaitMs <= checkout4.t + 1, 'the pool query queued behind the checkout, from its own call');
    const [first] = at(run, file, 'pool-query-first', 1);
    const [checkout5] = at(run, file, 'promise-first', 5).slice(4);
    assert.ok(checkout5.t - checkout5.poolWaitMs <= first.t + 1, 'the checkout queued behind the pool query');
    assert.ok(checkout5.poolWaitMs >= first.durationMs);
  });

  it('a checkout the idle pool could serve at once waited for nothing, though the event loop was busy 40 ms after the call', () => {
    const [q] = at(run, file, 'busy-loop', 1);
    assert.equal(q.poolWaitMs, 0, 'a busy event loop is not a queue for a connection');
  });

  it('the pool\'s gauges: one connection in use, checkouts waiting', () => {
    // the peaks are read as checkouts start and end: of the two that queued, one or both are seen
    const [pool, ...others] = run.pools;
    assert.deepEqual(others, []);
    assert.deepEqual([pool.driver, pool.max, pool.size, pool.inUse], ['pg-pool', 1, 1, 1]);
    assert.ok(pool.waiting === 1 || pool.waiting === 2, `peak waiting ${pool.waiting}`);
  });
});

describe('mysql2 and mariadb checkouts: pool.getConnection()', () => {
  const file = path.join(fixtures, 'pool-checkout-mysql.cjs');
  let srv;
  let db;
  let run;
  before(async () => {
    [srv, db] = await Promise.all([startServer(), startMariadb()]);
    run = await runWithPools(srv, file, { MYSQL_URL: db.connectionString });
  });
  after(async () => {
    await Promise.all([srv && srv.close(), db && db.stop()]);
  });

  it('mysql2: pool.getConnection(callback) and mysql2/promise\'s await pool.getConnection()', () => {
    const callbackFirsts = at(run, file, 'mysql2-callback-first', 3);
    assertQueuedOneBehindAnother(callbackFirsts, 'mysql2 callback checkouts');
    assertOpenedForIt(callbackFirsts[0], 'mysql2 callback checkouts');
    assertQueuedOneBehindAnother(at(run, file, 'mysql2-promise-first', 3), 'mysql2/promise checkouts');
    assertNoWait(at(run, file, 'mysql2-promise-second', 3), 'second query of a mysql2 checkout');
  });

  it('mysql2: a transaction\'s START TRANSACTION carries the wait, on the connection of its checkout', () => {
    const begins = at(run, file, 'mysql2-tx-begin', 2);
    assertQueuedOneBehindAnother(begins, 'mysql2 transactions');
    assertNoWait([...at(run, file, 'mysql2-tx-body', 2), ...at(run, file, 'mysql2-tx-commit', 2)], 'inside a mysql2 transaction');
  });

  it('mariadb: await pool.getConnection() and mariadb/callback\'s pool.getConnection(callback)', () => {
    const promiseFirsts = at(run, file, 'mariadb-promise-first', 3);
    assertQueuedOneBehindAnother(promiseFirsts, 'mariadb checkouts');
    assertOpenedForIt(promiseFirsts[0], 'mariadb checkouts');
    assertNoWait(at(run, file, 'mariadb-promise-second', 3), 'second query of a mariadb checkout');
    const callbackFirsts = at(run, file, 'mariadb-callback-first', 3);
    assertQueuedOneBehindAnother(callbackFirsts, 'mariadb/callback checkouts');
    assertOpenedForIt(callbackFirsts[0], 'mariadb/callback checkouts');
  });

  it('mariadb: a transaction\'s queries share their checkout\'s connection number, only START TRANSACTION waited', () => {
    const begins = at(run, file, 'mariadb-tx-begin', 2);
    assertQueuedOneBehindAnother(begins, 'mariadb transactions');
    const bodies = at(run, file, 'mariadb-tx-body', 2);
    const commits = at(run, file, 'mariadb-tx-commit', 2);
    assertNoWait([...bodies, ...commits], 'inside a mariadb transaction');
    for (let i = 0; i < 2; i++) {
      assert.equal(typeof begins[i].conn, 'number');
      assert.deepEqual([bodies[i].conn, commits[i].conn], [begins[i].conn, begins[i].conn]);
    }
    assert.notEqual(begins[0].conn, begins[1].conn);
  });

  it('Sequelize (mysql, also its read replica pool) and knex (mysql2) pools: the app\'s queries carry the waits on the app\'s lines', () => {
    const sequelize = at(run, file, 'sequelize-query', 6).filter((q) => /SLEEP/.test(q.text));
    assert.equal(sequelize.length, 3);
    assertQueuedOneBehindAnother(sequelize, 'Sequelize');
    const reads = at(run, file, 'sequelize-read', 6).filter((q) => /SLEEP/.test(q.text));
    assert.equal(reads.length, 3);
    assertQueuedOneBehindAnother(reads, 'Sequelize read replica');
    const knex = at(run, file, 'knex-raw', 4).filter((q) => /SLEEP/.test(q.text));
    assert.equal(knex.length, 3);
    assertQueuedOneBehindAnother(knex, 'knex');
  });

  it('every pool\'s gauges: one connection in use, checkouts waiting; Sequelize\'s read and write pools each their own', () => {
    // The peaks are read as checkouts start and end: of the two that queued behind the first,
    // one or both are seen; all three when the pool was still opening its first connection as
    // they came (knex on CI's loaded machine), never more than the app sent.
    const queued = (driver) => ({ driver, max: 1, size: 1, inUse: 1, waiting: 'one to three' });
    const seen = run.pools.map((p) => ({ ...p, waiting: p.waiting >= 1 && p.waiting <= 3 ? 'one to three' : p.waiting }));
    assert.deepEqual(seen, [
      queued('mysql2'),
      queued('mariadb'),
      queued('mariadb'),
      queued('sequelize'),
      queued('sequelize'), // replication: the read pool, where the three SELECTs queued
      { driver: 'sequelize', max: 1, size: 1, inUse: 1, waiting: 0 }, // … and the write pool, one query
      queued('knex'),
    ]);
  });
});
