import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service } from 'kubernetes-models/v1';
import { REPO_ROOT } from '../support/processes.ts';

// No cluster runs here: every document in deploy/k8s is validated offline
// against the OpenAPI schemas of Kubernetes (the `kubernetes-models` classes,
// generated from a Kubernetes 1.3x release) and the ServiceMonitor against
// the Prometheus Operator's CRD schema (@kubernetes-models/prometheus-operator).
// These schemas check types, required fields and enums; like kubectl's
// client-side checks they do not reject an unknown (misspelt) field, which the
// API server's field validation does at apply time.

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: any) => Validatable;

const MODELS: Record<string, ModelClass> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'networking.k8s.io/v1 Ingress': Ingress,
  'networking.k8s.io/v1 NetworkPolicy': NetworkPolicy,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1 ServiceMonitor': ServiceMonitor,
};

const FILES = ['deploy/k8s/parley.yaml', 'deploy/k8s/servicemonitor.yaml'];

const load = (path: string) =>
  parseAllDocuments(readFileSync(join(REPO_ROOT, path), 'utf8')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Record<string, any>;
  });

/** Validates one manifest document with the model of its apiVersion and kind; throws what the schema rejects. */
function validate(doc: Record<string, any>): void {
  const Model = MODELS[`${doc.apiVersion} ${doc.kind}`];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
}

it('every document in deploy/k8s validates against the Kubernetes and Prometheus Operator schemas', () => {
  const kinds: string[] = [];
  for (const file of FILES) {
    for (const doc of load(file)) {
      expect(() => validate(doc), `${file}: ${doc.kind} ${doc.metadata?.name}`).not.toThrow();
      kinds.push(doc.kind);
    }
  }
  expect(kinds.sort()).toEqual(
    ['Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'Service', 'ServiceMonitor'].sort(),
  );
  // The CRD-backed ServiceMonitor is kept out of parley.yaml, which applies on a cluster without the operator.
  expect(load('deploy/k8s/parley.yaml').map((d) => d.apiVersion)).not.toContain('monitoring.coreos.com/v1');
});

it('the schema validation rejects a manifest with a wrong field type or a missing required field', () => {
  const deployment = load('deploy/k8s/parley.yaml').find((d) => d.kind === 'Deployment')!;
  const bad = structuredClone(deployment);
  bad.spec.replicas = 'two';
  expect(() => validate(bad)).toThrow(/replicas must be integer/);

  const badPort = structuredClone(deployment);
  badPort.spec.template.spec.containers[0].ports[0].containerPort = '8080';
  expect(() => validate(badPort)).toThrow(/containerPort must be integer/);

  const noName = structuredClone(deployment);
  delete noName.spec.template.spec.containers[0].name;
  expect(() => validate(noName)).toThrow(/containers\/0 must have required property name/);

  const [monitor] = load('deploy/k8s/servicemonitor.yaml');
  const badMonitor = structuredClone(monitor!);
  badMonitor.spec.endpoints[0].interval = 30;
  expect(() => validate(badMonitor)).toThrow(/interval must be string/);

  expect(() => validate({ apiVersion: 'extensions/v1beta1', kind: 'Ingress', metadata: { name: 'old' } })).toThrow(/no schema/);
});
