'use strict';
// The session host in its own process, as the CLI runs it beside the app: prints JSON lines
// ({url, token}, then {hello}, {disconnect}) and exits when its stdin closes.
const { startSessionHost } = require('./session-host');

const print = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

startSessionHost(process.argv[2]).then(
  (host) => {
    host.on('hello', (pid) => print({ hello: pid }));
    host.on('disconnect', (info) => print({ disconnect: info }));
    print({ url: host.url, token: host.token });
    process.stdin.resume();
    process.stdin.on('end', () => host.close().then(() => process.exit(0)));
  },
  (err) => {
    process.stderr.write(`session host could not start: ${err.message}\n`);
    process.exit(1);
  },
);
