/**
 * The reference for `bench:direct --pin`: the simplest durable chat server, a
 * bare `ws` + `pg` process with no auth, no validation beyond JSON.parse and
 * no metrics. Each `send_message` takes a pooled connection and runs one
 * transaction (lock the conversation's counter row, take the next seq, insert
 * the message), then, after COMMIT, acks the sender and pushes the message to
 * every socket of the conversation. It speaks just enough of Parley's frames
 * (`ready`, `ack`, `message`) for the same load generator to drive it.
 *
 * A socket names its user and conversation in the bearer subprotocol:
 * `bearer.<user>.<conversation>` (no token: nothing is checked).
 * Forked by reference.ts; answers its port over IPC, exits on disconnect.
 *
 *   env: REF_DATABASE_URL, REF_POOL_SIZE (default 10, Parley's default)
 */
import pg from 'pg';
import { WebSocketServer, type WebSocket } from 'ws';

const pool = new pg.Pool({ connectionString: process.env.REF_DATABASE_URL, max: Number(process.env.REF_POOL_SIZE ?? 10) });
const members = new Map<string, Set<WebSocket>>();

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ref_conversations (id text PRIMARY KEY, last_seq bigint NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS ref_messages (
  id bigserial PRIMARY KEY,
  conversation_id text NOT NULL REFERENCES ref_conversations (id),
  seq bigint NOT NULL,
  sender_id text NOT NULL,
  client_msg_id text NOT NULL,
  body jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (conversation_id, seq)
)`;

interface SendFrame {
  type: string;
  id?: string;
  message?: { client_msg_id?: string };
}

async function store(conversation: string, sender: string, frame: SendFrame): Promise<{ id: string; seq: number; createdAt: string }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const counter = await client.query<{ last_seq: string }>('UPDATE ref_conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq', [conversation]);
    const seq = Number(counter.rows[0]!.last_seq);
    const row = await client.query<{ id: string; created_at: Date }>(
      'INSERT INTO ref_messages (conversation_id, seq, sender_id, client_msg_id, body) VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at',
      [conversation, seq, sender, frame.message?.client_msg_id ?? '', JSON.stringify(frame.message ?? {})],
    );
    await client.query('COMMIT');
    return { id: row.rows[0]!.id, seq, createdAt: row.rows[0]!.created_at.toISOString() };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

async function main(): Promise<void> {
  await pool.query(SCHEMA);
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (protocols) => (protocols.has('parley.v1') ? 'parley.v1' : false),
  });
  wss.on('connection', (ws, req) => {
    const bearer = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).find((p) => p.startsWith('bearer.')) ?? '';
    const [, user = '', conversation = ''] = bearer.split('.');
    let set = members.get(conversation);
    if (!set) members.set(conversation, (set = new Set()));
    set.add(ws);
    ws.on('close', () => set.delete(ws));
    ws.on('error', () => {});
    ws.on('message', (data: Buffer) => {
      let frame: SendFrame;
      try {
        frame = JSON.parse(data.toString()) as SendFrame;
      } catch {
        return;
      }
      if (frame.type !== 'send_message') return;
      store(conversation, user, frame).then(
        ({ id, seq, createdAt }) => {
          ws.send(JSON.stringify({ type: 'ack', id: frame.id, message_id: id, seq, duplicate: false }));
          const push = JSON.stringify({ type: 'message', conversation_id: conversation, seq, message_id: id, sender_id: user, message: frame.message, created_at: createdAt });
          for (const peer of set) peer.send(push);
        },
        () => ws.send(JSON.stringify({ type: 'error', id: frame.id, code: 'internal', message: 'store failed' })),
      );
    });
    void pool.query('INSERT INTO ref_conversations (id) VALUES ($1) ON CONFLICT DO NOTHING', [conversation]).then(() => ws.send('{"type":"ready"}'));
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const address = wss.address();
  process.send!({ port: address && typeof address === 'object' ? address.port : 0 });
  process.on('disconnect', () => {
    wss.close();
    void pool.end().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}

main().catch((err: unknown) => {
  console.error('reference server failed:', err);
  process.exit(1);
});
