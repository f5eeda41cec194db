// Redis Cluster capture on three real redis-server masters (test/helpers/redis-cluster.js), for
// ioredis 5 and 6 (`new Redis.Cluster`) and node-redis 4, 5 and 6 (`createCluster`). Cluster
// clients hand each command to a client of the node serving its slot, maybe twice (MOVED, ASK):
// the app's command is recorded once, on its line, in its request, with what it found; a
// pipeline and a MULTI (one slot, one node) are one round trip each; the clients' own commands
// (handshakes, CLUSTER SLOTS/INFO, ASKING) are none of the app's. The fixture prints what the
// app sees: with and without the agent it must print the same.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startServer, launch } = require('../helpers/agent-harness');
const { startRedisCluster } = require('../helpers/redis-cluster');
const { runFixture, queriesAt } = require('../fixtures/capture/run');

const file = path.join(__dirname, '..', 'fixtures', 'capture', 'redis-cluster-app.cjs');
const esmFile = path.join(__dirname, '..', 'fixtures', 'capture', 'redis-cluster-esm-app.mjs');
const IDS = [1, 2, 3, 4, 5, 6, 7, 8, 9];

let srv;
let cluster;
before(async () => {
  srv = await startServer();
  cluster = await startRedisCluster();
});
after(async () => {
  if (cluster) await cluster.stop();
  if (srv) await srv.close();
});

for (const client of ['ioredis', 'ioredis6', 'redis4', 'redis', 'redis6']) {
  describe(`${client} on a 3-master cluster`, () => {
    let run;
    let plain;
    before(async () => {
      const env = { REDIS_CLIENT: client, CLUSTER_NODES: JSON.stringify(cluster.startupNodes) };
      run = await runFixture(srv, process.execPath, file, { env });
      plain = await launch(process.execPath, file, { env, agent: false, timeoutMs: 60_000 }).exited;
    });
    const at = (name) => queriesAt(run.queries, file, run.lines.get(name));
    const one = (name) => {
      const found = at(name);
      assert.equal(found.length, 1, `${name} (line ${run.lines.get(name)}): ${JSON.stringify(run.queries.map((q) => [q.text, q.callsite && q.callsite.line]))}`);
      return found[0];
    };

    it('the app sees exactly what it sees without the agent, redirections included', () => {
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(run.result.stdout, /\nmoved: "still here"\nask: "asked"\nbatch-moved: [^\n]+\ndone\n$/);
      assert.equal(run.result.stdout, plain.stdout);
    });

    it('each command is recorded once, on its line, with what it found', () => {
      assert.deepEqual([one('hit').text, one('hit').cacheHits, one('hit').cacheMisses, one('hit').error], ['GET {fixture}:present', 1, 0, false]);
      assert.deepEqual([one('miss').cacheHits, one('miss').cacheMisses], [0, 1]);
      assert.deepEqual([one('mget').text, one('mget').cacheHits, one('mget').cacheMisses], ['MGET {fixture}:present {fixture}:absent', 1, 1]);
      // nine keys over the three nodes, from one line: nine commands, one per key
      assert.deepEqual(at('loop').map((q) => q.text).sort(), IDS.map((id) => `GET item:${id}`));
      assert.ok(at('loop').every((q) => q.db === 'redis' && q.cacheHits === 1 && !q.error));
    });

    it('a fan-out inside a request is recorded in that request, each GET on its line', () => {
      const fanout = at('fanout');
      assert.deepEqual(fanout.map((q) => q.text).sort(), IDS.map((id) => `GET item:${id}`));
      assert.deepEqual([...new Set(fanout.map((q) => q.scope && q.scope.name))], ['GET /fanout']);
      assert.equal(new Set(fanout.map((q) => q.scope.id)).size, 1);
    });

    it('a pipeline and a MULTI on one hash tag are one round trip each', () => {
      const pipeline = one('pipeline');
      assert.deepEqual([pipeline.text, pipeline.cacheHits, pipeline.cacheMisses], ['PIPELINE GET*2', 1, 1]);
      assert.equal(run.queries.filter((q) => q.text === 'GET {fixture}:absent').length, 1, 'the pipeline\'s GETs are not recorded one by one');
      const multi = one('multi');
      assert.deepEqual([multi.text, multi.error], ['MULTI SET*1 GET*1', false]);
    });

    it('a command redirected by MOVED or ASK is one command that succeeded, with its value found', () => {
      for (const name of ['moved', 'ask']) {
        const q = one(name);
        assert.deepEqual([q.error, q.cacheHits, q.cacheMisses], [false, 1, 0], name);
      }
    });

    it('a batch for a slot that moved is one round trip, failed only when the app saw it fail', () => {
      const q = one('batch-moved');
      assert.equal(q.text, client.startsWith('ioredis') ? 'PIPELINE GET*2' : 'MULTI GET*2');
      if (client === 'redis4' || client === 'redis') {
        // these node-redis versions do not follow a MOVED for a MULTI: the app gets the error
        assert.match(run.result.stdout, /\nbatch-moved: "\w+"\n/, 'an error class, not the replies');
        assert.equal(q.error, true);
      } else {
        assert.deepEqual([q.error, q.cacheHits, q.cacheMisses], [false, 1, 1]);
      }
    });

    it('the clients\' own commands are not recorded: every command is on a line of the app', () => {
      const elsewhere = run.queries.filter((q) => !q.callsite || q.callsite.file !== file);
      assert.deepEqual(elsewhere.map((q) => q.text), []);
      assert.deepEqual(run.queries.filter((q) => /^(CLIENT|INFO|HELLO|CLUSTER|ASKING|READONLY|QUIT)\b/.test(q.text)).map((q) => q.text), []);
    });

    if (client.startsWith('ioredis')) {
      it('a command sent before the cluster knew its slots is recorded once, on its line', () => {
        assert.deepEqual([one('early').text, one('early').cacheMisses], ['GET fixture:early', 1]);
      });
    }
  });
}

for (const client of ['ioredis', 'redis']) {
  describe(`${client} on a 3-master cluster, from an ES module`, () => {
    let run;
    before(async () => {
      run = await runFixture(srv, process.execPath, esmFile, { env: { REDIS_CLIENT: client, CLUSTER_NODES: JSON.stringify(cluster.startupNodes) } });
    });
    const at = (name) => queriesAt(run.queries, esmFile, run.lines.get(name));

    it('each GET is recorded once on its line, the pipeline as one round trip', () => {
      const gets = [1, 2, 3, 4, 5, 6].map((id) => `GET esm:${id}`);
      assert.deepEqual(at('loop').map((q) => q.text), gets);
      assert.deepEqual(at('fanout').map((q) => q.text).sort(), gets);
      assert.deepEqual(at('pipeline').map((q) => q.text), ['PIPELINE GET*2']);
      assert.deepEqual(run.queries.filter((q) => !q.callsite || q.callsite.file !== esmFile).map((q) => q.text), []);
    });
  });
}
