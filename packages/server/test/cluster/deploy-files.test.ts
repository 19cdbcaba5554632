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
  for (const d of docs) expect(d).toMatchObject({ apiVersion: expect.any(String), kind: expect.any(String), metadata: { name: expect.stringMatching(/^parley/) } });
  expect(docs.map((d) => d.kind)).toEqual(['Deployment', 'Service', 'Service', 'Ingress', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy']);
  const [deployment, service, metricsService, ingress, hpa, pdb, policy] = docs as [Record<string, any>, ...Array<Record<string, any>>];
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  expect(container.ports[0].containerPort).toBe(8080);
  expect(container.readinessProbe.httpGet.path).toBe('/readyz');
  expect(container.livenessProbe.httpGet.path).toBe('/healthz');
  // preStop lets endpoints drop the pod before SIGTERM; the grace covers it and the server's drain.
  const preStop = container.lifecycle.preStop.sleep.seconds as number;
  expect(preStop).toBeGreaterThanOrEqual(5);
  expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStop + 20);
  // Requests and limits; read-only root with a writable /tmp.
  expect(container.resources.requests).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
  expect(container.resources.limits).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
  expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  const tmp = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
  expect(pod.volumes.find((v: { name: string }) => v.name === tmp.name).emptyDir).toBeDefined();
  const env = Object.fromEntries((container.env as Array<{ name: string; value?: string }>).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
  const config = loadConfig(env);
  expect(config.security.trustProxyHops).toBe(1);
  // Secrets by reference only: no Secret in the file, none of its keys as literal values.
  expect(container.envFrom).toEqual([{ secretRef: { name: 'parley' } }]);
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'TURN_SECRET', 'KAFKA_BROKERS']) expect(env[name]).toBeUndefined();
  // Prometheus scrapes the metrics port; the Service (and so the Ingress) routes only the public one.
  const metricsPort = container.ports.find((p: { name: string }) => p.name === 'metrics').containerPort;
  expect(config.metrics.port).toBe(metricsPort);
  expect(metricsPort).not.toBe(8080);
  expect(deployment.spec.template.metadata.annotations['prometheus.io/port']).toBe(String(metricsPort));
  expect(service!.spec.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(['http']);
  expect(metricsService!.spec.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(['metrics']);
  expect(ingress!.spec.rules[0].http.paths.map((p: { backend: { service: { name: string; port: { name: string } } } }) => p.backend.service)).toEqual([
    { name: service!.metadata.name, port: { name: 'http' } },
  ]);
  // WebSocket-friendly proxy timeouts: well above the server's 30 s heartbeat.
  for (const t of ['proxy-read-timeout', 'proxy-send-timeout']) {
    expect(Number(ingress!.metadata.annotations[`nginx.ingress.kubernetes.io/${t}`])).toBeGreaterThanOrEqual(300);
  }
  // HPA, PDB, NetworkPolicy and both Services select the Deployment's pods.
  const labels = deployment.spec.template.metadata.labels;
  expect(hpa!.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
  expect(hpa!.spec.minReplicas).toBeGreaterThan(pdb!.spec.maxUnavailable);
  for (const selector of [pdb!.spec.selector.matchLabels, policy!.spec.podSelector.matchLabels, service!.spec.selector, metricsService!.spec.selector]) {
    expect(labels).toMatchObject(selector);
  }
  // Ingress only to the app port (from the controller) and the metrics port (from monitoring); egress to DNS and the stores.
  expect(policy!.spec.policyTypes).toEqual(['Ingress', 'Egress']);
  type IngressRule = { from: Array<{ namespaceSelector: { matchLabels: Record<string, string> } }>; ports: Array<{ port: string }> };
  const from = (policy!.spec.ingress as IngressRule[]).map((r) => [r.from[0]!.namespaceSelector.matchLabels['kubernetes.io/metadata.name'], r.ports.map((p) => p.port)]);
  expect(from).toEqual([['ingress-nginx', ['http']], ['monitoring', ['metrics']]]);
  const egressPorts = policy!.spec.egress.flatMap((r: { ports: Array<{ port: number }> }) => r.ports.map((p) => p.port));
  expect(egressPorts).toEqual(expect.arrayContaining([53, 5432, 6379, 9092]));
});

it('deploy/k8s/servicemonitor.yaml scrapes the metrics Service on its metrics port', () => {
  const [monitor] = load('deploy/k8s/servicemonitor.yaml');
  const metricsService = load('deploy/k8s/parley.yaml').find((d) => d.kind === 'Service' && d.metadata.name === 'parley-metrics')!;
  expect(monitor).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' });
  expect(metricsService.metadata.labels).toMatchObject(monitor!.spec.selector.matchLabels);
  expect(monitor!.spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
});
