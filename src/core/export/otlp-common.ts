import type { ProtoWriter } from './otlp-protobuf';

/**
 * OTLP's common messages (opentelemetry/proto/common/v1/common.proto and resource.proto):
 * KeyValue, AnyValue, InstrumentationScope, Resource. Field numbers are the proto's.
 */

export type AttributeValue = string | number | boolean;

/** Who exports: the OTLP resource (service.name, service.instance.id and the rest). */
export interface OtlpResource {
  service: string;
  instance: string;
  /** further resource attributes (OTEL_RESOURCE_ATTRIBUTES) */
  attributes: Readonly<Record<string, string>>;
}

/** The instrumentation scope every record names: this tool and its version. */
export interface OtlpScope {
  name: string;
  version: string;
}

/** AnyValue: whole numbers that fit int64 exactly go as int_value, others as double_value. */
function writeAnyValue(w: ProtoWriter, field: number, value: AttributeValue): void {
  w.begin(field);
  if (typeof value === 'string') w.string(1, value);
  else if (typeof value === 'boolean') w.uint(2, value ? 1 : 0);
  else if (Number.isSafeInteger(value)) w.int64(3, value);
  else w.double(4, value);
  w.end();
}

/** a KeyValue in `field` of the enclosing message */
export function writeAttribute(w: ProtoWriter, field: number, key: string, value: AttributeValue): void {
  w.begin(field);
  w.string(1, key);
  writeAnyValue(w, 2, value);
  w.end();
}

/** an AnyValue holding a string (a log record's body) */
export function writeStringValue(w: ProtoWriter, field: number, value: string): void {
  writeAnyValue(w, field, value);
}

export function writeResource(w: ProtoWriter, field: number, resource: OtlpResource): void {
  w.begin(field);
  writeAttribute(w, 1, 'service.name', resource.service);
  writeAttribute(w, 1, 'service.instance.id', resource.instance);
  for (const [k, v] of Object.entries(resource.attributes)) {
    if (k !== 'service.name' && k !== 'service.instance.id') writeAttribute(w, 1, k, v);
  }
  w.end();
}

export function writeScope(w: ProtoWriter, field: number, scope: OtlpScope): void {
  w.begin(field);
  w.string(1, scope.name);
  w.string(2, scope.version);
  w.end();
}
