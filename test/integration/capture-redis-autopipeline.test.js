// ioredis 5 and 6 with `enableAutoPipelining: true`, on one real redis-server and on a real
// 3-master cluster: the client sends the commands of one turn of the event loop in pipelines of
// its own, yet each command is a call of the app's and is recorded as one, on its own line, in
// its request, with what it found or its error; those pipelines are not recorded, the app's own
// pipeline and MULTI stay one round trip each. The fixture prints what the app sees (callbacks
// and a failing one included): with and without the agent it must print the same.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startServer, launch } = require('../helpers/agent-harness');
const { startRedis } = require('../helpers/redis');
const { startRedisCluster } = require('../helpers/redis-cluster');
const { runFixture, queriesAt } = require('../fixtures/capture/run');

const file = path.join(__dirname, '..', 'fixtures', 'capture', 'redis-autopipeline-app.cjs');
const IDS = [1, 2, 3, 4, 5, 6, 7, 8];

let srv;
let redis;
let cluster;
before(async () => {
  srv = await startServer();
  redis = await startRedis();
  cluster = await startRedisCluster();
});
after(async () => {
  if (cluster) await cluster.stop();
  if (redis) await redis.stop();
  if (srv) await srv.close();
});

for (const client of ['ioredis', 'ioredis6']) {
  for (const topology of ['one server', 'a cluster']) {
    describe(`${client} auto-pipelining on ${topology}`, () => {
      let run;
      let plain;
      before(async () => {
        const env = { REDIS_CLIENT: client, ...(topology === 'one server' ? { REDIS_URL: redis.url } : { CLUSTER_NODES: JSON.stringify(cluster.startupNodes) }) };
        run = await runFixture(srv, process.execPath, file, { env });
        plain = await launch(process.execPath, file, { env, agent: false, timeoutMs: 60_000 }).exited;
      });
      const at = (name) => queriesAt(run.queries, file, run.lines.get(name));
      const one = (name) => {
        const found = at(name);
        assert.equal(found.length, 1, `${name} (line ${run.lines.get(name)}): ${JSON.stringify(run.queries.map((q) => [q.text, q.callsite && q.callsite.line]))}`);
        return found[0];
      };

      it('the app sees exactly what it sees without the agent, callbacks included', () => {
        assert.equal(plain.code, 0, plain.stderr);
        assert.match(run.result.stdout, /\ncallback-error: "WRONGTYPE[^\n]*\n/);
        assert.match(run.result.stdout, /\ndone\n$/);
        assert.equal(run.result.stdout, plain.stdout);
      });

      it('GETs in a loop are one command each on the loop\'s line, none a pipeline', () => {
        assert.deepEqual(at('loop').map((q) => q.text), IDS.map((id) => `GET item:${id}`));
        assert.ok(at('loop').every((q) => q.cacheHits === 1 && !q.error));
        assert.deepEqual(run.queries.filter((q) => /^PIPELINE/.test(q.text)).map((q) => q.callsite && q.callsite.line), [run.lines.get('pipeline')], 'only the app\'s own pipeline is one');
      });

      it('a Promise.all fan-out batched into one pipeline is still a GET per key, in the request', () => {
        const fanout = at('fanout');
        assert.deepEqual(fanout.map((q) => q.text).sort(), IDS.map((id) => `GET item:${id}`));
        assert.deepEqual([...new Set(fanout.map((q) => q.scope && q.scope.name))], ['GET /fanout']);
      });

      it('two commands of one turn keep their own lines; a command queued before the client was ready keeps its line', () => {
        assert.equal(one('turn-get').text, 'GET item:1');
        assert.deepEqual([one('turn-hgetall').text, one('turn-hgetall').cacheHits], ['HGETALL {fixture}:hash', 1]);
        assert.deepEqual([one('early').text, one('early').cacheMisses], ['GET {fixture}:early', 1]);
      });

      it('callbacks and failures are recorded as the app saw them', () => {
        assert.deepEqual([one('callback').text, one('callback').cacheHits, one('callback').error], ['GET item:2', 1, false]);
        assert.equal(one('callback-error').error, true);
        assert.equal(one('wrongtype').error, true);
        assert.equal(one('wrongtype').cacheHits, undefined, 'a failed read is neither hit nor miss');
      });

      it('the app\'s own pipeline and MULTI are one round trip each', () => {
        assert.deepEqual([one('pipeline').text, one('pipeline').cacheHits, one('pipeline').cacheMisses], ['PIPELINE GET*1 HGETALL*1', 1, 1]);
        assert.equal(one('multi').text, 'MULTI SET*1 INCR*1');
      });
    });
  }
}
