// Redis capture on a real redis-server, for ioredis 5 and 6 and node-redis 4, 5 and 6: each
// command once on its line, cache hits and misses, a failing command, a command sent before
// the connection is ready, callbacks; and the server going away mid-run. The fixture prints what
// the app sees; with and without the agent it must print the same.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startServer, launch, byType } = require('../helpers/agent-harness');
const { startRedis } = require('../helpers/redis');
const { runFixture, queriesAt } = require('../fixtures/capture/run');

const file = path.join(__dirname, '..', 'fixtures', 'capture', 'redis-app.cjs');

let srv;
before(async () => {
  srv = await startServer();
});
after(async () => {
  if (srv) await srv.close();
});

/** The fixture once against a fresh server (it shuts the server down), with or without the agent. */
async function runOnce(client, withAgent) {
  const redis = await startRedis();
  try {
    const env = { REDIS_URL: redis.url, REDIS_CLIENT: client };
    if (withAgent) return await runFixture(srv, process.execPath, file, { env });
    const app = launch(process.execPath, file, { env, agent: false, timeoutMs: 60_000 });
    return { result: await app.exited };
  } finally {
    await redis.stop();
  }
}

for (const client of ['ioredis', 'ioredis6', 'redis4', 'redis', 'redis6']) {
  describe(`${client} capture`, () => {
    let run;
    let plain;
    before(async () => {
      run = await runOnce(client, true);
      plain = await runOnce(client, false);
    });
    const at = (name) => queriesAt(run.queries, file, run.lines.get(name));
    const one = (name) => {
      const found = at(name);
      assert.equal(found.length, 1, `${name} (line ${run.lines.get(name)}): ${JSON.stringify(run.queries.map((q) => [q.text, q.callsite && q.callsite.line]))}`);
      return found[0];
    };

    it('the app sees exactly what it sees without the agent, the server going away included', () => {
      assert.equal(plain.result.code, 0, plain.result.stderr);
      assert.match(run.result.stdout, /\ndone\n$/);
      assert.equal(run.result.stdout, plain.result.stdout);
    });

    it('reads are hits or misses, one by one and per key of an MGET', () => {
      assert.deepEqual([one('hit').text, one('hit').cacheHits, one('hit').cacheMisses], ['GET fixture:present', 1, 0]);
      assert.deepEqual([one('miss').cacheHits, one('miss').cacheMisses], [0, 1]);
      assert.deepEqual([one('mget').text, one('mget').cacheHits, one('mget').cacheMisses], ['MGET fixture:present fixture:absent fixture:present', 2, 1]);
      assert.deepEqual([one('hgetall-miss').cacheHits, one('hgetall-miss').cacheMisses], [0, 1]);
      assert.equal(one('hit').db, 'redis');
      assert.equal(one('hit').error, false);
    });

    it('a failing command is recorded as failed, on its line', () => {
      const q = one('wrongtype');
      assert.equal(q.error, true);
      assert.equal(q.cacheHits, undefined, 'a failed read is neither hit nor miss');
    });

    it('a pipeline is one round trip with its reads counted', () => {
      const q = one('pipeline');
      assert.equal(q.text, 'PIPELINE GET*2');
      assert.deepEqual([q.cacheHits, q.cacheMisses], [1, 1]);
      assert.equal(run.queries.filter((x) => x.text === 'GET fixture:absent').length, 1, 'the pipeline\'s GETs are not recorded one by one');
    });

    if (client.startsWith('ioredis')) {
      it('a command sent before the connection is ready and a callback command are recorded once each', () => {
        assert.equal(one('early').text, 'GET fixture:early');
        assert.equal(one('callback').cacheHits, 1);
      });
    }

    it('after the server went away: its failed command is recorded, HTTP telemetry goes on', () => {
      assert.match(run.result.stdout, /after-shutdown: "\w*Error"/);
      assert.equal(one('after-shutdown').error, true);
      const pid = run.result.pid ?? run.queries[0].pid;
      const shutdownAt = Math.max(...run.queries.filter((q) => /^SHUTDOWN/.test(q.text)).map((q) => q.t), 0);
      const http = [...byType(srv.messages, 'http', pid), ...byType(srv.messages, 'httpSummary', pid)];
      assert.ok(http.some((m) => m.t > shutdownAt), `HTTP messages after the shutdown at ${shutdownAt}: ${http.map((m) => m.t).join(', ')}`);
    });
  });
}
