/**
 * Tracing settings, read only from the standard OpenTelemetry variables
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
 * Called by `loadConfig` with its environment: nothing here reads `process.env`.
 *
 * Tracing is off unless OTEL_TRACES_EXPORTER names an exporter (the
 * specification's default, `otlp`, would make every instance try to reach a
 * collector that a self-hosted install usually does not run).
 */
export interface TracingConfig {
  /** False: no tracer provider, no span, no hook does more than one null check. */
  enabled: boolean;
  serviceName: string;
  exporter: 'zipkin' | 'otlp' | 'console';
  sampler: { name: SamplerName; ratio: number };
  /** Where Zipkin's v2 JSON spans are POSTed (OTEL_EXPORTER_ZIPKIN_ENDPOINT). */
  zipkinEndpoint: string;
  /**
   * Where OTLP/HTTP (JSON) spans are POSTed: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
   * as given, else OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`. Headers and TLS
   * files (OTEL_EXPORTER_OTLP_HEADERS, …_CERTIFICATE) are read by the exporter itself.
   */
  otlpEndpoint: string;
  /** OTEL_RESOURCE_ATTRIBUTES, parsed. */
  resourceAttributes: Record<string, string>;
  /** Milliseconds between two batch exports (OTEL_BSP_SCHEDULE_DELAY). */
  exportDelayMs: number;
}

export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

type Env = Record<string, string | undefined>;
type Fail = (message: string) => never;

export function tracingConfig(env: Env, fail: Fail): TracingConfig {
  const get = (name: string) => env[name]?.trim() || null;
  const disabled = get('OTEL_SDK_DISABLED');
  if (disabled !== null && !/^(true|false)$/i.test(disabled)) fail(`OTEL_SDK_DISABLED must be "true" or "false", got "${disabled}"`);
  const exporterRaw = (get('OTEL_TRACES_EXPORTER') ?? 'none').toLowerCase();
  if (!['otlp', 'zipkin', 'console', 'none'].includes(exporterRaw)) {
    fail(`OTEL_TRACES_EXPORTER must be "otlp", "zipkin", "console" or "none", got "${exporterRaw}"`);
  }
  const samplerName = (get('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(samplerName)) fail(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}, got "${samplerName}"`);
  const ratioRaw = get('OTEL_TRACES_SAMPLER_ARG');
  const ratio = ratioRaw === null ? 1 : Number(ratioRaw);
  if (!(ratio >= 0 && ratio <= 1)) fail(`OTEL_TRACES_SAMPLER_ARG must be a ratio between 0 and 1, got "${ratioRaw}"`);
  const delayRaw = get('OTEL_BSP_SCHEDULE_DELAY');
  const exportDelayMs = delayRaw === null ? 5000 : Number(delayRaw);
  if (!Number.isInteger(exportDelayMs) || exportDelayMs < 1 || exportDelayMs > 600_000) {
    fail(`OTEL_BSP_SCHEDULE_DELAY must be milliseconds between 1 and 600000, got "${delayRaw}"`);
  }
  const zipkinEndpoint = get('OTEL_EXPORTER_ZIPKIN_ENDPOINT') ?? 'http://localhost:9411/api/v2/spans';
  if (!/^https?:\/\/[^\s]+$/.test(zipkinEndpoint)) fail(`OTEL_EXPORTER_ZIPKIN_ENDPOINT must be an http(s) URL, got "${zipkinEndpoint}"`);
  const otlpBase = get('OTEL_EXPORTER_OTLP_ENDPOINT') ?? 'http://localhost:4318';
  const otlpEndpoint = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? `${otlpBase.replace(/\/+$/, '')}/v1/traces`;
  if (!/^https?:\/\/[^\s]+$/.test(otlpEndpoint)) fail(`OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http(s) URL, got "${otlpEndpoint}"`);
  return {
    enabled: exporterRaw !== 'none' && disabled?.toLowerCase() !== 'true',
    serviceName: get('OTEL_SERVICE_NAME') ?? 'parley',
    exporter: exporterRaw === 'console' ? 'console' : exporterRaw === 'otlp' ? 'otlp' : 'zipkin',
    sampler: { name: samplerName as SamplerName, ratio },
    zipkinEndpoint,
    otlpEndpoint,
    resourceAttributes: parseResourceAttributes(get('OTEL_RESOURCE_ATTRIBUTES') ?? '', fail),
    exportDelayMs,
  };
}

/** `key1=value1,key2=value2`, values percent-encoded (the specification's format). */
function parseResourceAttributes(raw: string, fail: Fail): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq).trim();
    if (eq < 1 || key === '') fail(`OTEL_RESOURCE_ATTRIBUTES must be comma-separated key=value pairs, got "${pair.trim()}"`);
    try {
      out[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      fail(`OTEL_RESOURCE_ATTRIBUTES: the value of "${key}" is not valid percent-encoding`);
    }
  }
  return out;
}
