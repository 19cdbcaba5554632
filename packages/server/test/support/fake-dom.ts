/**
 * A stand-in for the few DOM calls the API docs page's script makes
 * (createElement, setAttribute, append, replaceChildren, getElementById), so a
 * test can run that script in Node against the real documents and read what
 * it renders. It exists because this machine has no browser (the web client's
 * Chromium suites skip here); it checks the renderer's logic, not layout or
 * the CSP. Drive it with `runInFakeDom(source, fetch)`, then read `root`.
 */
export class FakeNode {
  readonly attributes = new Map<string, string>();
  children: Array<FakeNode | string> = [];
  open = false;

  constructor(readonly tagName: string) {}

  setAttribute(name: string, value: string): void {
    this.attributes.set(name, String(value));
  }

  append(...children: Array<FakeNode | string>): void {
    this.children.push(...children);
  }

  replaceChildren(...children: Array<FakeNode | string>): void {
    this.children = [...children];
  }

  get textContent(): string {
    return this.children.map((c) => (typeof c === 'string' ? c : c.textContent)).join('');
  }

  /** This node and every node below it. */
  *walk(): Generator<FakeNode> {
    yield this;
    for (const child of this.children) if (typeof child !== 'string') yield* child.walk();
  }
}

export interface FakePage {
  root: FakeNode;
}

/** Runs a page script with `#docs` as its root element and the given fetch. */
export function runInFakeDom(source: string, fetchFn: (url: string) => Promise<unknown>): FakePage {
  const root = new FakeNode('MAIN');
  root.setAttribute('id', 'docs');
  const byId = (id: string) => [...root.walk()].find((n) => n.attributes.get('id') === id) ?? null;
  const document = {
    getElementById: byId,
    createElement: (tag: string) => new FakeNode(tag.toUpperCase()),
  };
  const window = { addEventListener: () => {} };
  const run = new Function('document', 'window', 'Node', 'fetch', 'location', source);
  run(document, window, FakeNode, fetchFn, { hash: '' });
  return { root };
}
