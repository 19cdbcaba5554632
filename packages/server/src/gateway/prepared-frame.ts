import * as ws from 'ws';

/**
 * A server-to-client text frame, header and payload, as the bytes that go on
 * the wire. A fan-out payload is framed once here and the same Buffer is
 * written to every socket of the channel: one write per socket instead of
 * `ws.send`'s options objects, header allocation and two writes (header, then
 * payload). Server frames are never masked, so the bytes are the same for
 * every socket.
 *
 * Written straight to the socket under ws (Connection.push), which is sound
 * because the gateway's sockets never queue inside ws' Sender: it queues only
 * while compressing (perMessageDeflate is off) or reading a Blob (never sent).
 */
declare const prepared: unique symbol;
export type PreparedFrame = Buffer & { readonly [prepared]: true };

interface FrameOptions { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }
// ws' own framing, exported (Sender.frame) since ws 2 for exactly this (websockets/ws#1016) but
// absent from @types/ws: one buffer below 126 bytes of payload, else [header, payload].
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };
const TEXT: FrameOptions = { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false };

export function prepareTextFrame(payload: string): PreparedFrame {
  const parts = Sender.frame(Buffer.from(payload), TEXT);
  return (parts.length === 1 ? parts[0] : Buffer.concat(parts)) as PreparedFrame;
}
