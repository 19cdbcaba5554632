import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../support/processes.ts';
import { loadConfig } from '../../src/config.ts';

// No Docker engine or cluster runs here: the compose and Kubernetes files are
// checked for structure and for agreeing with the server (port, probes, env).
const load = (path: string) =>
  parseAllDocuments(readFileSync(join(REPO_ROOT, path), 'utf8')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Record<string, any>;
  });

it('deploy/compose.yaml runs three instances on PostgreSQL and Redis behind nginx', () => {
  const [compose] = load('deploy/compose.yaml');
  expect(Object.keys(compose!.services).sort()).toEqual(['nginx', 'parley', 'postgres', 'redis']);
  expect(compose!.services.parley.deploy.replicas).toBe(3);
  expect(Object.keys(compose!.services.parley.environment)).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL']));
  // One proxy (nginx) in front, and a configuration the server accepts.
  const config = loadConfig(compose!.services.parley.environment);
  expect(config.security.trustProxyHops).toBe(1);
  expect(config.metrics.port).not.toBe(config.port);
  expect(compose!.services.parley.ports).toBeUndefined(); // nothing of an instance is published, metrics included
});

it('deploy/k8s/parley.yaml wires probes, port and graceful shutdown to what the server serves', () => {
  const docs = load('deploy/k8s/parley.yaml');
  for (const d of docs) expect(d).toMatchObject({ apiVersion: expect.any(String), kind: expect.any(String), metadata: { name: 'parley' } });
  expect(docs.map((d) => d.kind)).toEqual(['Secret', 'Deployment', 'Service', 'Ingress', 'HorizontalPodAutoscaler']);
  const container = docs[1]!.spec.template.spec.containers[0];
  expect(container.ports[0].containerPort).toBe(8080);
  expect(container.readinessProbe.httpGet.path).toBe('/readyz');
  expect(container.livenessProbe.httpGet.path).toBe('/healthz');
  expect(docs[1]!.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(10);
  const env = Object.fromEntries((container.env as Array<{ name: string; value?: string }>).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
  const config = loadConfig(env);
  expect(config.security.trustProxyHops).toBe(1);
  // Prometheus scrapes the metrics port; the Service (and so the Ingress) routes only the public one.
  const metricsPort = container.ports.find((p: { name: string }) => p.name === 'metrics').containerPort;
  expect(config.metrics.port).toBe(metricsPort);
  expect(metricsPort).not.toBe(8080);
  expect(docs[1]!.spec.template.metadata.annotations['prometheus.io/port']).toBe(String(metricsPort));
  expect(docs[2]!.spec.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(['http']);
  expect(docs[3]!.spec.rules[0].http.paths.map((p: { backend: { service: { port: { name: string } } } }) => p.backend.service.port.name)).toEqual(['http']);
});
