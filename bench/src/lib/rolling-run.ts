/**
 * The rolling-restart scenario, shared by `npm run bench:rolling` and the
 * cluster test `rolling-restart.test.ts` (which runs a small version): SDK
 * clients (`ParleyClient`, one user each) chat through one URL (nginx in
 * front of the instances) in direct and group conversations at a steady
 * total rate, then the fleet restarts each instance in turn; the clients are
 * left to do what an app's SDK does (reconnect, resend from the outbox,
 * resume by cursor). At the end every client's store is compared with what
 * was acked and with the server's history.
 */
import { ParleyClient, type OutboxEntry } from '@parley/sdk';
import type { MessageView } from '@parley/protocol';
import { Histogram } from './histogram.ts';

/** The instances behind one URL, which the scenario restarts one at a time. */
export interface RollingFleet {
  /** Base URL of the proxy in front of every instance (REST under /api/v1, the socket at /ws). */
  url: string;
  size: number;
  /** SIGTERM instance `i`, wait for it to exit, start it again where it was and wait until it serves. */
  restart(i: number): Promise<{ exitCode: number | null; drainMs: number; startMs: number }>;
}

export interface RollingOptions {
  clients: number;
  /** Members per group; the remaining users are paired in direct conversations. */
  groupSize: number;
  /** Users in groups (the rest chat 1:1). */
  groupUsers: number;
  /** Messages per second over all senders. */
  rate: number;
  steadyMs: number;
  /** Pause after an instance is back before the next one goes. */
  gapMs: number;
  /** Sending goes on this long after the last instance is back. */
  afterMs: number;
  /** Most time to wait, after sending stops, for every outbox to empty and every recipient to catch up. */
  waitMs: number;
}

export type Phase = 'steady' | 'restarts' | 'after';

export interface RollingResult {
  sent: number;
  acked: number;
  /** Sends the outbox gave up on (a non-retryable error). */
  failed: number;
  /** Still in an outbox when the wait ended. */
  pending: number;
  /** (acked message, recipient) pairs that never reached the recipient's app. */
  lost: number;
  /** Message events for a seq the app had already seen, plus messages stored twice (one client_msg_id at two seqs). */
  doubled: number;
  /** Recipients whose final log differs from the server's history (seq → message id), or is not dense. */
  outOfOrder: number;
  /** Expected deliveries (acked messages × recipients). */
  deliveries: number;
  latency: Record<Phase, Histogram>;
  sentByPhase: Record<Phase, number>;
  restarts: Array<{ instance: number; exitCode: number | null; drainMs: number; startMs: number }>;
  reconnects: number;
  closeCodes: Record<string, number>;
  errors: string[];
}

interface Sent {
  at: number;
  phase: Phase;
  conv: string;
  senderIndex: number;
  seq?: number;
}

const PASSWORD = 'rolling-password';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runRolling(fleet: RollingFleet, o: RollingOptions, log: (msg: string) => void = () => {}): Promise<RollingResult> {
  const tag = Math.random().toString(36).slice(2, 8);
  const clients: ParleyClient[] = [];
  const result: RollingResult = {
    sent: 0, acked: 0, failed: 0, pending: 0, lost: 0, doubled: 0, outOfOrder: 0, deliveries: 0,
    latency: { steady: new Histogram(), restarts: new Histogram(), after: new Histogram() },
    sentByPhase: { steady: 0, restarts: 0, after: 0 },
    restarts: [], reconnects: 0, closeCodes: {}, errors: [],
  };
  const noteError = (msg: string) => {
    if (result.errors.length < 20) result.errors.push(msg);
  };
  try {
    log(`registering ${o.clients} users through ${fleet.url}…`);
    const ids: string[] = [];
    for (let i = 0; i < o.clients; i += 8) {
      const batch = Array.from({ length: Math.min(8, o.clients - i) }, (_, k) => i + k);
      await Promise.all(batch.map(async (n) => {
        const client = new ParleyClient({ url: fleet.url, reconnect: { baseMs: 200, capMs: 2_000 } });
        const user = await client.register({ username: `r${tag}_${n}`, password: PASSWORD });
        clients[n] = client;
        ids[n] = user.id;
      }));
    }

    // Conversations: groups over the first `groupUsers`, direct pairs over the rest.
    const conversations: Array<{ id: string; members: number[] }> = [];
    const groupUsers = Math.min(o.groupUsers, o.clients);
    for (let g = 0; g + 1 < groupUsers; g += o.groupSize) {
      const members = Array.from({ length: Math.min(o.groupSize, groupUsers - g) }, (_, k) => g + k);
      const conv = await clients[members[0]!]!.createGroup(members.slice(1).map((m) => ids[m]!), `rolling ${g}`);
      conversations.push({ id: conv.id, members });
    }
    for (let u = groupUsers; u + 1 < o.clients; u += 2) {
      const conv = await clients[u]!.createDirect(ids[u + 1]!);
      conversations.push({ id: conv.id, members: [u, u + 1] });
    }
    const membersOf = new Map(conversations.map((c) => [c.id, c.members]));

    // What each client's app saw: seq → count, per conversation.
    const seen = clients.map(() => new Map<string, Map<number, number>>());
    const sent = new Map<string, Sent>();
    let phase: Phase = 'steady';
    clients.forEach((client, i) => {
      client.on('message', ({ conversationId, entry }: { conversationId: string; entry: MessageView }) => {
        const log = seen[i]!.get(conversationId) ?? new Map<number, number>();
        seen[i]!.set(conversationId, log);
        const times = (log.get(entry.seq) ?? 0) + 1;
        log.set(entry.seq, times);
        if (times > 1) result.doubled++;
        const cmid = clientMsgId(entry);
        const origin = cmid === null ? undefined : sent.get(cmid);
        if (times === 1 && origin && origin.senderIndex !== i) result.latency[origin.phase].record(performance.now() - origin.at);
      });
      client.on('outbox', (event) => {
        if (event.kind === 'sent') {
          result.acked++;
          const s = sent.get(event.entry.client_msg_id);
          if (s) s.seq = event.ack.seq;
        } else if (event.kind === 'failed') {
          result.failed++;
          noteError(`send failed: ${event.error.code}`);
        }
      });
      client.on('closed', ({ code, opened }) => {
        // A handshake that never opened (refused, or answered with an HTTP error) is counted apart from a close.
        const key = opened ? String(code) : `${code} (handshake failed)`;
        result.closeCodes[key] = (result.closeCodes[key] ?? 0) + 1;
        if (process.env.ROLLING_DEBUG) console.error(`${new Date().toISOString().slice(11, 23)} client ${i} closed ${key}`);
      });
      client.on('ready', () => result.reconnects++);
      client.on('error', (err) => noteError(`${err.code}: ${err.message}`));
    });
    log(`${conversations.length} conversations; connecting ${o.clients} clients…`);
    clients.forEach((c) => c.connect());
    await Promise.all(clients.map((c) => c.connected()));
    result.reconnects = 0;
    await Promise.all(clients.map((c) => c.refreshConversations()));

    // One (conversation, member) pair after another, at `rate` per second in all.
    const speakers = conversations.flatMap((c) => c.members.map((m) => ({ conv: c.id, member: m })));
    let sending = true;
    const sendLoop = (async () => {
      const t0 = performance.now();
      for (let k = 0; sending; k++) {
        const wait = t0 + (k * 1000) / o.rate - performance.now();
        if (wait > 0) await sleep(wait);
        const { conv, member } = speakers[k % speakers.length]!;
        const entry: OutboxEntry = clients[member]!.send(conv, `rolling ${k}`);
        sent.set(entry.client_msg_id, { at: performance.now(), phase, conv, senderIndex: member });
        result.sent++;
        result.sentByPhase[phase]++;
      }
    })();

    log(`steady state: ${o.rate} msg/s for ${o.steadyMs / 1000} s…`);
    await sleep(o.steadyMs);
    phase = 'restarts';
    for (let i = 0; i < fleet.size; i++) {
      log(`restarting instance ${i}…`);
      const r = await fleet.restart(i);
      result.restarts.push({ instance: i, ...r });
      log(`  instance ${i}: exit ${r.exitCode} after ${Math.round(r.drainMs)} ms, back in ${Math.round(r.startMs)} ms`);
      if (i + 1 < fleet.size) await sleep(o.gapMs);
    }
    phase = 'after';
    await sleep(o.afterMs);
    sending = false;
    await sendLoop;

    log(`sending stopped (${result.sent} sent); waiting for outboxes and recipients…`);
    const expected = () => {
      let missing = 0;
      let total = 0;
      for (const s of sent.values()) {
        if (s.seq === undefined) continue;
        for (const m of membersOf.get(s.conv)!) {
          if (m === s.senderIndex) continue;
          total++;
          if (!seen[m]!.get(s.conv)?.has(s.seq)) missing++;
        }
      }
      return { missing, total };
    };
    const deadline = Date.now() + o.waitMs;
    for (;;) {
      const pending = clients.reduce((n, c) => n + c.pending().filter((e) => e.status === 'pending').length, 0);
      const { missing, total } = expected();
      result.pending = pending;
      result.lost = missing;
      result.deliveries = total;
      if ((pending === 0 && missing === 0) || Date.now() > deadline) break;
      await sleep(250);
    }

    // Compare each recipient's log with the server's history: dense, same message at the same seq.
    for (const c of conversations) {
      const history = await readHistory(fleet.url, clients[c.members[0]!]!, c.id);
      const byClientMsgId = new Map<string, number>();
      for (const m of history) {
        const cmid = clientMsgId(m);
        if (cmid === null) continue;
        if (byClientMsgId.has(cmid)) result.doubled++;
        byClientMsgId.set(cmid, m.seq);
      }
      const truth = history.map((m) => `${m.seq}:${m.message_id}`).join(',');
      for (const member of c.members) {
        const mine = clients[member]!.messages(c.id).map((m) => `${m.seq}:${m.message_id}`).join(',');
        if (mine !== truth) result.outOfOrder++;
      }
    }
    return result;
  } finally {
    await Promise.all(clients.filter(Boolean).map((c) => c.close()));
  }
}

async function readHistory(url: string, client: ParleyClient, conversationId: string): Promise<MessageView[]> {
  const session = client.sessionData;
  if (!session) throw new Error('client has no session');
  const base = new URL(`/api/v1/conversations/${conversationId}/messages`, url);
  const out: MessageView[] = [];
  for (let after = 0; ; ) {
    base.search = `after_seq=${after}&limit=200`;
    const res = await fetch(base, { headers: { authorization: `Bearer ${session.access_token}` } });
    if (!res.ok) throw new Error(`history of ${conversationId}: HTTP ${res.status}`);
    const page = (await res.json()) as { messages: MessageView[] };
    out.push(...page.messages);
    if (page.messages.length < 200) return out;
    after = page.messages.at(-1)!.seq;
  }
}

/** The sender's id for a text message; null for system entries (membership changes also take a seq). */
const clientMsgId = (m: MessageView): string | null => (m.message.type === 'text' ? m.message.client_msg_id : null);
