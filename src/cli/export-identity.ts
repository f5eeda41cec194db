import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FleetIdentity } from '../core/export/fleet-metrics';

/**
 * OTEL_RESOURCE_ATTRIBUTES as the OpenTelemetry spec writes it: `key=value` pairs separated by
 * commas, values percent-encoded. A malformed pair is skipped (the spec says to ignore the
 * whole variable on error; a service should not lose its name over one bad pair).
 */
export function parseResourceAttributes(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      /* kept as written */
    }
    if (key) out[key] = value;
  }
  return out;
}

/** The `name` of the nearest package.json at or above `dir`, if any. */
function packageName(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      const name = JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')).name;
      if (typeof name === 'string' && name) return name;
    } catch {
      /* none here */
    }
    if (path.dirname(d) === d) return undefined;
  }
}

/**
 * Who is exporting: `--service`, else OTEL_SERVICE_NAME, else service.name of
 * OTEL_RESOURCE_ATTRIBUTES, else the app's package.json name, else the OpenTelemetry default
 * `unknown_service:node`. The instance is the host name (a container's id in Docker).
 */
export function exportIdentity(service: string | undefined, cwd: string, env: NodeJS.ProcessEnv = process.env): FleetIdentity {
  const attributes = parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES);
  const name = service || env.OTEL_SERVICE_NAME || attributes['service.name'] || packageName(cwd) || 'unknown_service:node';
  const instance = attributes['service.instance.id'] || os.hostname();
  delete attributes['service.name'];
  delete attributes['service.instance.id'];
  return { service: name, instance, attributes };
}
