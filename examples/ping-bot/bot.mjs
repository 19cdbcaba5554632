// A Parley bot that answers "ping …" with "pong …", once per ping, across restarts.
// PARLEY_URL=http://localhost:8080 PARLEY_BOT_TOKEN=pbt_… node bot.mjs
import { ParleyClient, isTextEntry } from '@parley/sdk';
import { FileCursorStore, FileOutboxStore } from '@parley/sdk/node';

const data = process.env.BOT_DATA_DIR ?? './data';
const client = new ParleyClient({
  url: process.env.PARLEY_URL ?? 'http://localhost:8080',
  outbox: new FileOutboxStore(`${data}/outbox.json`), // replies survive a crash
  cursors: new FileCursorStore(`${data}/cursors.json`), // a restart resumes where it stopped
});
client.on('error', (err) => console.error(`parley error: ${err.code}`));
client.on('logged_out', () => process.exit(2)); // the token was revoked

// Each entry once, in order: missed ones (replayed) after a restart, then live ones.
client.on('entry', ({ conversationId, entry, replayed }) => {
  if (entry.sender_id === client.user.id || !isTextEntry(entry)) return;
  const text = entry.message.text;
  if (!text.startsWith('ping')) return;
  // An id derived from the ping: answered again after a crash, it is stored once.
  client.send(conversationId, 'pong' + text.slice(4), { clientMsgId: `pong-${entry.message_id}` });
  console.log(`${replayed ? 'replayed' : 'live'} #${entry.seq}: ${text}`);
});

process.on('SIGTERM', () => client.close().then(() => process.exit(0)));
await client.loginWithBotToken(process.env.PARLEY_BOT_TOKEN);
client.connect();
await client.connected();
console.log(`ready as @${client.user.username}`);
