/**
 * A self-contained page for reading the API documents: the HTML below and one
 * script, both served by the server. The server's Content-Security-Policy
 * allows scripts only from 'self' (no inline script), styles inline, and
 * fetches to 'self', so the page loads `/api/docs/docs.js`, which fetches the
 * two JSON documents and renders them with DOM calls (text only, no innerHTML).
 * No CDN and no UI library: the documents are small.
 */

export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parley API</title>
<link rel="icon" href="data:,">
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 70rem; padding: 1rem 1.5rem 4rem; color: #1d1d1f; }
  h1 { margin-bottom: .2rem } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2.5rem }
  nav a { margin-right: 1rem } code, pre { font: 13px/1.4 ui-monospace, monospace }
  pre { background: #f6f6f8; padding: .6rem; overflow-x: auto; margin: .3rem 0 }
  details { border: 1px solid #e3e3e8; border-radius: 4px; margin: .35rem 0; padding: .3rem .6rem }
  summary { cursor: pointer } .method { display: inline-block; min-width: 4.2rem; font-weight: 600 }
  .GET { color: #0a6b2d } .POST { color: #0b4fa8 } .DELETE { color: #a31515 } .PUT, .PATCH { color: #8a5a00 }
  .lock { color: #8a5a00; font-size: 12px } .muted { color: #666 } .desc { white-space: pre-wrap }
  table { border-collapse: collapse; margin: .4rem 0 } td, th { border: 1px solid #ddd; padding: .2rem .6rem; text-align: left }
</style>
</head>
<body>
<h1>Parley API</h1>
<p class="muted">Rendered from <a href="/api/openapi.json">/api/openapi.json</a> (REST, OpenAPI 3.1) and
<a href="/api/asyncapi.json">/api/asyncapi.json</a> (WebSocket, AsyncAPI 3.0), which the server generates from its protocol schemas.</p>
<nav><a href="#rest">REST operations</a><a href="#ws">WebSocket frames</a><a href="#errors">Error codes</a><a href="#close">Close codes</a><a href="#schemas">Schemas</a></nav>
<main id="docs"><p>Loading…</p></main>
<script src="/api/docs/docs.js"></script>
</body>
</html>
`;

export const DOCS_SCRIPT = String.raw`'use strict';
(function () {
  const root = document.getElementById('docs');
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of children.flat()) if (child != null) node.append(child instanceof Node ? child : String(child));
    return node;
  }
  function refName(ref) { return ref.slice(ref.lastIndexOf('/') + 1); }
  // JSON with every $ref as a link to the schema it names.
  function json(value, indent) {
    indent = indent || '';
    if (Array.isArray(value)) {
      if (value.length === 0) return ['[]'];
      const parts = ['[\n'];
      value.forEach((v, i) => parts.push(indent + '  ', ...json(v, indent + '  '), i < value.length - 1 ? ',\n' : '\n'));
      return parts.concat(indent + ']');
    }
    if (value && typeof value === 'object') {
      const keys = Object.keys(value);
      if (keys.length === 1 && typeof value.$ref === 'string') {
        return ['{ "$ref": ', el('a', { href: '#schema-' + refName(value.$ref) }, JSON.stringify(value.$ref)), ' }'];
      }
      if (keys.length === 0) return ['{}'];
      const parts = ['{\n'];
      keys.forEach((k, i) => parts.push(indent + '  ' + JSON.stringify(k) + ': ', ...json(value[k], indent + '  '), i < keys.length - 1 ? ',\n' : '\n'));
      return parts.concat(indent + '}');
    }
    return [JSON.stringify(value)];
  }
  function schemaBlock(schema) { return el('pre', {}, json(schema)); }
  function table(head, rows) {
    return el('table', {}, el('tr', {}, head.map((h) => el('th', {}, h))), rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c)))));
  }

  function rest(doc) {
    const byTag = new Map();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const tag = (op.tags && op.tags[0]) || 'other';
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push([method.toUpperCase(), path, op]);
      }
    }
    const out = [el('h2', { id: 'rest' }, 'REST operations'), el('p', { class: 'desc' }, doc.info.description)];
    for (const [tag, ops] of byTag) {
      out.push(el('h3', {}, tag));
      for (const [method, path, op] of ops) {
        const secured = op.security && op.security.length > 0;
        const body = [];
        if (op.description) body.push(el('p', { class: 'desc' }, op.description));
        if (op.parameters) {
          body.push(el('h4', {}, 'Parameters'), table(['name', 'in', 'required', 'schema'],
            op.parameters.map((p) => [el('code', {}, p.name), p.in, p.required ? 'yes' : 'no', el('code', {}, JSON.stringify(p.schema))])));
        }
        if (op.requestBody) body.push(el('h4', {}, 'Request body'), schemaBlock(op.requestBody.content['application/json'].schema));
        body.push(el('h4', {}, 'Responses'));
        for (const [status, res] of Object.entries(op.responses)) {
          const content = res.content && res.content['application/json'];
          body.push(el('div', {}, el('strong', {}, status), ' ', res.$ref ? el('a', { href: '#errors' }, 'error body') : res.description || ''), content ? schemaBlock(content.schema) : null);
        }
        out.push(el('details', {}, el('summary', {}, el('span', { class: 'method ' + method }, method), ' ', el('code', {}, path), ' ',
          secured ? el('span', { class: 'lock' }, 'bearer token') : el('span', { class: 'muted' }, 'public'),
          op.summary ? ' ' + op.summary : null), body));
      }
    }
    return out;
  }

  function ws(doc) {
    const out = [el('h2', { id: 'ws' }, 'WebSocket frames'), el('p', { class: 'desc' }, doc.info.description)];
    for (const op of Object.values(doc.operations)) {
      out.push(el('h3', {}, op.title));
      for (const ref of op.messages) {
        const msg = doc.components.messages[refName(ref.$ref)];
        out.push(el('details', {}, el('summary', {}, el('code', {}, msg.name)), schemaBlock(msg.payload)));
      }
    }
    return out;
  }

  function errors(doc, asyncDoc) {
    return [
      el('h2', { id: 'errors' }, 'Error codes'),
      el('p', {}, 'REST errors answer with the status below and ', el('code', {}, '{ "error": { "code", "message", "retry_after"? } }'), '; WebSocket errors arrive as ', el('code', {}, 'error'), ' frames with the same codes.'),
      table(['code', 'HTTP status', 'retryable'], doc['x-error-codes'].map((e) => [el('code', {}, e.code), String(e.status), e.retryable ? 'yes' : 'no'])),
      el('h2', { id: 'close' }, 'Close codes'),
      table(['code', 'name'], asyncDoc['x-close-codes'].map((c) => [String(c.code), el('code', {}, c.name)])),
    ];
  }

  function schemas(...docs) {
    const all = {};
    for (const doc of docs) Object.assign(all, doc.components.schemas);
    return [el('h2', { id: 'schemas' }, 'Schemas')].concat(Object.keys(all).sort().map((name) =>
      el('details', { id: 'schema-' + name }, el('summary', {}, el('code', {}, name)), schemaBlock(all[name]))));
  }

  // A link to a schema opens it.
  window.addEventListener('hashchange', () => {
    const target = document.getElementById(location.hash.slice(1));
    if (target && target.tagName === 'DETAILS') target.open = true;
  });

  Promise.all(['/api/openapi.json', '/api/asyncapi.json'].map((url) => fetch(url).then((r) => {
    if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
    return r.json();
  }))).then(([openapi, asyncapi]) => {
    root.replaceChildren(...rest(openapi), ...ws(asyncapi), ...errors(openapi, asyncapi), ...schemas(openapi, asyncapi));
  }, (err) => {
    root.replaceChildren(el('p', {}, 'Could not load the API documents: ' + err.message));
  });
})();
`;
