'use strict';
// A throw-away Redis Cluster for integration tests: three masters of Debian's redis-server on
// free ports of 127.0.0.1 (their cluster bus ports too), each with its own temp dir and
// nodes.conf, the 16384 slots split in three by hand (ADDSLOTSRANGE, SET-CONFIG-EPOCH, MEET,
// as `redis-cli --cluster create` does), ready once every node says cluster_state:ok and maps
// every slot. Slots can be moved between nodes while clients run, to make them meet MOVED and
// ASK redirections.
//   const cluster = await startRedisCluster(); … cluster.nodes[0].port … ; await cluster.stop();
const net = require('node:net');
const path = require('node:path');
const { freePort } = require('./ports');
const { findRedis } = require('./redis');
const { isRoot, osUser, makeTempDir, removeDir, spawnServer, logTail, waitUntil } = require('./server-process');

const SLOTS = 16384;
const MASTERS = 3;

/** One RESP reply parsed from `buf` at `at`: [value, next offset], or null while incomplete. */
function parseReply(buf, at = 0) {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  if (type === '+') return [line, next];
  if (type === '-') return [new Error(line), next];
  if (type === ':') return [Number(line), next];
  if (type === '$') {
    const len = Number(line);
    if (len < 0) return [null, next];
    if (buf.length < next + len + 2) return null;
    return [buf.toString('utf8', next, next + len), next + len + 2];
  }
  if (type === '*') {
    const count = Number(line);
    if (count < 0) return [null, next];
    const items = [];
    let pos = next;
    for (let i = 0; i < count; i++) {
      const item = parseReply(buf, pos);
      if (item === null) return null;
      items.push(item[0]);
      pos = item[1];
    }
    return [items, pos];
  }
  throw new Error(`unexpected RESP reply ${JSON.stringify(buf.toString('utf8', at, eol))}`);
}

/**
 * Sends one command to 127.0.0.1:port on a connection of its own (no client library, so an
 * app's Redis probe never sees the test's own commands) and resolves with its reply; an error
 * reply rejects with its message.
 */
function redisCommand(port, args) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no reply to ${args[0]} from port ${port}`)));
    socket.on('connect', () => {
      let out = `*${args.length}\r\n`;
      for (const a of args) out += `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`;
      socket.write(out);
    });
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      let parsed;
      try {
        parsed = parseReply(buf);
      } catch (err) {
        socket.destroy();
        reject(err);
        return;
      }
      if (parsed === null) return;
      socket.end();
      if (parsed[0] instanceof Error) reject(parsed[0]);
      else resolve(parsed[0]);
    });
    socket.on('error', reject);
  });
}

/** CLUSTER INFO as a map of its fields. */
async function clusterInfo(port) {
  const text = await redisCommand(port, ['CLUSTER', 'INFO']);
  return new Map(text.split('\r\n').filter(Boolean).map((l) => l.split(':')));
}

/** Starts one cluster-enabled redis-server; retries on another port when one was taken meanwhile. */
async function startNode(bin, owner, timeoutMs) {
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = makeTempDir('redis-cluster', owner);
    const logFile = path.join(dir, 'redis.log');
    const port = await freePort();
    let busPort = await freePort();
    while (busPort === port) busPort = await freePort();
    const server = spawnServer({
      owner,
      cmd: bin,
      args: [
        '--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--dir', dir,
        '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, 'nodes.conf'), '--cluster-node-timeout', '5000',
        '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', logFile, '--protected-mode', 'yes',
      ],
      logFile: path.join(dir, 'stdout.log'),
      dir,
      stopSignal: 'SIGTERM',
    });
    try {
      await waitUntil(() => redisCommand(port, ['PING']), { timeoutMs, exited: server.exited, what: 'Redis cluster node', logFile });
      const id = await redisCommand(port, ['CLUSTER', 'MYID']);
      return { host: '127.0.0.1', port, busPort, id, dir, server };
    } catch (err) {
      lastErr = err;
      const inUse = /Address already in use/i.test(logTail(logFile, 50));
      await server.stop();
      if (!inUse) throw err;
    }
  }
  throw lastErr;
}

/**
 * @param {{ startTimeoutMs?: number }} [options]
 * @returns {Promise<RedisCluster>}
 */
async function startRedisCluster(options = {}) {
  const bin = findRedis();
  const owner = isRoot ? osUser('redis') : null;
  const timeoutMs = options.startTimeoutMs || 30_000;
  const nodes = [];
  try {
    for (let i = 0; i < MASTERS; i++) nodes.push(await startNode(bin, owner, timeoutMs));
    const per = Math.ceil(SLOTS / MASTERS);
    for (let i = 0; i < MASTERS; i++) {
      const n = nodes[i];
      n.slots = [i * per, Math.min(SLOTS, (i + 1) * per) - 1];
      await redisCommand(n.port, ['CLUSTER', 'ADDSLOTSRANGE', n.slots[0], n.slots[1]]);
      // distinct epochs up front, so the nodes need no collision round to agree
      await redisCommand(n.port, ['CLUSTER', 'SET-CONFIG-EPOCH', i + 1]);
    }
    for (const n of nodes.slice(1)) await redisCommand(nodes[0].port, ['CLUSTER', 'MEET', n.host, n.port, n.busPort]);
    await waitUntil(
      async () => {
        for (const n of nodes) {
          const info = await clusterInfo(n.port);
          if (info.get('cluster_state') !== 'ok' || info.get('cluster_known_nodes') !== String(MASTERS) || info.get('cluster_slots_ok') !== String(SLOTS)) {
            throw new Error(`node ${n.port}: ${[...info].map((kv) => kv.join(':')).join(' ')}`);
          }
        }
      },
      { timeoutMs, exited: new Promise(() => {}), what: 'Redis Cluster', logFile: path.join(nodes[0].dir, 'redis.log') },
    );
    return new RedisCluster(nodes);
  } catch (err) {
    await Promise.all(nodes.map((n) => n.server.stop()));
    throw err;
  }
}

class RedisCluster {
  constructor(nodes) {
    /** @type {Array<{ host: string, port: number, busPort: number, id: string, slots: number[] }>} */
    this.nodes = nodes;
  }

  /** Host and port of each master: what ioredis's Cluster and node-redis's createCluster take. */
  get startupNodes() {
    return this.nodes.map((n) => ({ host: n.host, port: n.port }));
  }

  command(port, ...args) {
    return redisCommand(port, args);
  }

  /** The slot of `key` (hash tags included), as the cluster computes it. */
  slotOf(key) {
    return redisCommand(this.nodes[0].port, ['CLUSTER', 'KEYSLOT', key]);
  }

  /** The node serving `slot` now. */
  async ownerOf(slot) {
    const ranges = await redisCommand(this.nodes[0].port, ['CLUSTER', 'SLOTS']);
    for (const [from, to, [, port]] of ranges) if (slot >= from && slot <= to) return this.nodes.find((n) => n.port === port);
    throw new Error(`no node serves slot ${slot}`);
  }

  /** Another node than the one serving `key`'s slot. */
  async otherThanOwnerOf(key) {
    const owner = await this.ownerOf(await this.slotOf(key));
    return this.nodes.find((n) => n !== owner);
  }

  /**
   * Starts moving `key`'s slot to `target`, with the keys named: the slot is MIGRATING on its
   * owner and IMPORTING on the target, and those keys are on the target already, so asking
   * the old owner for them answers ASK (what clients meet during a resharding).
   */
  async beginMigration(key, target, keys = [key]) {
    const slot = await this.slotOf(key);
    const source = await this.ownerOf(slot);
    if (source === target) throw new Error(`slot ${slot} of ${key} is on port ${target.port} already`);
    await redisCommand(target.port, ['CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id]);
    await redisCommand(source.port, ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id]);
    if (keys.length > 0) await redisCommand(source.port, ['MIGRATE', target.host, target.port, '', 0, 5000, 'KEYS', ...keys]);
    return { slot, source, target };
  }

  /** Ends a migration: the slot's remaining keys move, and every node hands it to the target. */
  async finishMigration({ slot, source, target }) {
    for (;;) {
      const keys = await redisCommand(source.port, ['CLUSTER', 'GETKEYSINSLOT', slot, 100]);
      if (keys.length === 0) break;
      await redisCommand(source.port, ['MIGRATE', target.host, target.port, '', 0, 5000, 'KEYS', ...keys]);
    }
    // the target first, then the source, then the rest (the order the Redis docs give)
    for (const n of [target, source, ...this.nodes.filter((x) => x !== target && x !== source)]) {
      await redisCommand(n.port, ['CLUSTER', 'SETSLOT', slot, 'NODE', target.id]);
    }
  }

  /**
   * Moves `key`'s slot and its keys to another node at once: a client still holding the old
   * slot map gets MOVED for it. Resolves with the node that serves it now.
   */
  async moveSlotOf(key, target) {
    const to = target ?? (await this.otherThanOwnerOf(key));
    await this.finishMigration(await this.beginMigration(key, to, []));
    return to;
  }

  async stop() {
    await Promise.all(this.nodes.map((n) => n.server?.stop()));
    for (const n of this.nodes) if (n.dir) removeDir(n.dir);
  }
}

/**
 * The same slot moves for a cluster some other process started, from its masters' host and
 * port (a fixture app moving slots under its own client).
 */
async function clusterAdmin(startupNodes) {
  const nodes = [];
  for (const n of startupNodes) nodes.push({ host: n.host, port: n.port, id: await redisCommand(n.port, ['CLUSTER', 'MYID']) });
  return new RedisCluster(nodes);
}

module.exports = { startRedisCluster, clusterAdmin, redisCommand };
