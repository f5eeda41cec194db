'use strict';
// How the overhead bench's apps listen and stop: on 127.0.0.1 (PORT, default 0), printing one
// JSON line {"port":N} once listening; SIGINT/SIGTERM close it and exit within 2 s.

/** Starts `server` the way the bench drives it. */
function serveForBench(server) {
  server.keepAliveTimeout = 30_000;
  server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      server.close();
      server.closeAllConnections();
      setTimeout(() => process.exit(0), 2000).unref();
    });
  }
}

module.exports = { serveForBench };
