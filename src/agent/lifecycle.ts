import { constants } from 'node:os';
import type { Transport } from './transport';

/** Longest a short script is kept alive at its end for the agent's first connection. */
const CONNECT_GRACE_MS = 1000;
/** Longest it is kept alive at its end for its last messages to be written. */
const DRAIN_MAX_MS = 2000;
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * End of the process: a `bye` written synchronously from the 'exit' handler; on SIGINT and
 * SIGTERM a flush, and when the app has no handler of its own, a `bye` and the signal raised
 * again with our handler gone, so the process dies of it exactly as it would have.
 */
export function installLifecycle(transport: Transport, bye: (exitCode?: number) => void): void {
  let said = false;
  const sayBye = (exitCode?: number) => {
    if (said) return;
    said = true;
    bye(exitCode);
    transport.flushNow();
  };

  // beforeExit comes again each time the loop empties: one deadline for all of them
  let drainDeadline = 0;
  process.on('beforeExit', () => {
    try {
      if (drainDeadline === 0) {
        drainDeadline = Date.now() + DRAIN_MAX_MS;
        transport.holdForConnection(CONNECT_GRACE_MS); // once: a server that never answers gets one grace
      }
      transport.holdForDrain(drainDeadline);
    } catch {
      /* never into the app */
    }
  });

  process.on('exit', (code) => {
    try {
      sayBye(typeof code === 'number' ? code : undefined);
    } catch {
      /* never into the app */
    }
  });

  for (const signal of SIGNALS) {
    const onSignal = () => {
      try {
        if (process.listenerCount(signal) > 1) {
          transport.flushNow(); // the app decides what happens; its exit will say bye
          return;
        }
        sayBye(128 + (constants.signals[signal] ?? 0));
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      } catch {
        /* never into the app */
      }
    };
    process.on(signal, onSignal);
  }
}
