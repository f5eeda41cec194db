'use strict';
// A Redis cache in front of the demo's reads, when REDIS_URL names a server (`npm run demo`
// starts one when redis-server is installed). Without one, every read computes its value.
let client = null;
if (process.env.REDIS_URL) {
  const Redis = require('ioredis');
  client = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 });
  client.on('error', () => {}); // a cache that went away: the app computes instead
}

/** The value under `key`, computed and stored for `ttlSeconds` when the cache has none. */
async function cached(key, ttlSeconds, compute) {
  if (!client) return compute();
  const hit = await client.get(key).catch(() => null);
  if (hit !== null) return JSON.parse(hit);
  const value = compute();
  await client.set(key, JSON.stringify(value), 'EX', ttlSeconds).catch(() => {});
  return value;
}

function closeCache() {
  if (client) client.disconnect();
}

module.exports = { cached, closeCache };
