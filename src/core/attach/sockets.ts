import * as fs from 'node:fs';

/** One listening TCP socket from /proc/PID/net/tcp{,6}. */
export interface Listener {
  /** printable address: `127.0.0.1`, `0.0.0.0`, `::1`, `::` */
  address: string;
  port: number;
  inode: number;
}

/** Listening TCP sockets in the network namespace of `pid` (all processes' sockets, not just its own). */
export function listeners(pid: number | 'self' = 'self'): Listener[] {
  return [...parseTable(`/proc/${pid}/net/tcp`, false), ...parseTable(`/proc/${pid}/net/tcp6`, true)];
}

function parseTable(file: string, v6: boolean): Listener[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
    const [addrHex, portHex] = cols[1].split(':');
    out.push({ address: v6 ? ipv6(addrHex) : ipv4(addrHex), port: parseInt(portHex, 16), inode: Number(cols[9]) });
  }
  return out;
}

/** /proc writes IPv4 addresses as one little-endian 32-bit word. */
function ipv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

/** …and IPv6 as four such words. */
function ipv6(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(parseInt(word.slice(b * 2, b * 2 + 2), 16));
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

/** Socket inodes the process holds open; throws EACCES/EPERM for another user's process. */
export function socketInodes(pid: number): Set<number> {
  const out = new Set<number>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(Number(m[1]));
    } catch {
      // closed between readdir and readlink
    }
  }
  return out;
}

/** The TCP sockets `pid` itself listens on. */
export function listenersOf(pid: number): Listener[] {
  const inodes = socketInodes(pid);
  return listeners(pid).filter((l) => inodes.has(l.inode));
}

/** The pids that hold a socket inode (scans /proc/*\/fd; used only to name who holds a busy port). */
export function ownersOf(inode: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (socketInodes(Number(name)).has(inode)) out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** Would a listener on `l` stop Node from binding host:port? (same port, same or wildcard address) */
export function conflicts(l: Listener, host: string, port: number): boolean {
  if (l.port !== port) return false;
  const wanted = host === 'localhost' ? '127.0.0.1' : host;
  if (l.address === wanted) return true;
  if (wanted.includes(':')) return l.address === '::';
  return l.address === '0.0.0.0' || l.address === '::' || l.address === `::ffff:${wanted}`;
}
