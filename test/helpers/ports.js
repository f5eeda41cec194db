'use strict';
// A free TCP port on 127.0.0.1, for servers that must be told their port up front
// (postgres, mariadbd). The OS picks it; a tiny race remains until the server binds it,
// so callers retry start-up on "address in use".
const net = require('node:net');

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port, or rejects after timeoutMs. */
function waitForPort(port, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = net.connect({ host: '127.0.0.1', port });
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`Nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms.`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

module.exports = { freePort, waitForPort };
