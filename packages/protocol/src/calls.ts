import { Type, type Static } from 'typebox';
import { Uuid, type ConversationId, type UserId } from './common.ts';
import { MAX_SDP_LENGTH } from './limits.ts';

/**
 * Call signaling, modelled on Matrix VoIP v1. Media flows peer to peer; the
 * server relays these frames between the two parties' devices and keeps the
 * call's state. A group call is a mesh of 1:1 calls, each with an `invitee`.
 */
export const CallHangupReasons = [
  'user_hangup',
  'invite_timeout',
  'ice_failed',
  'ice_timeout',
  'user_busy',
  'user_media_failed',
  'user_rejected',
  'answered_elsewhere',
  'unknown_error',
] as const;
export type CallHangupReason = (typeof CallHangupReasons)[number];

const CallId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' });
const PartyId = Type.String({ minLength: 1, maxLength: 64 });
const RequestId = Type.String({ minLength: 1, maxLength: 64 });
const Sdp = Type.String({ minLength: 1, maxLength: MAX_SDP_LENGTH });
const Description = (type: 'offer' | 'answer' | 'either') =>
  Type.Object(
    {
      type: type === 'either' ? Type.Union([Type.Literal('offer'), Type.Literal('answer')]) : Type.Literal(type),
      sdp: Sdp,
    },
    { additionalProperties: false },
  );
const Candidate = Type.Object(
  {
    candidate: Type.String({ maxLength: 1024 }),
    sdpMid: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
    sdpMLineIndex: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 64 }), Type.Null()])),
  },
  { additionalProperties: false },
);

const base = { id: Type.Optional(RequestId), call_id: CallId, party_id: PartyId };

export const CallInviteFrame = Type.Object(
  {
    type: Type.Literal('call_invite'),
    ...base,
    conversation_id: Uuid,
    /** Milliseconds the invite rings before it ends with `invite_timeout`. */
    lifetime: Type.Integer({ minimum: 1_000, maximum: 120_000 }),
    offer: Description('offer'),
    /** The one member to ring (mesh group calls); omitted in a direct conversation: the other member. */
    invitee: Type.Optional(Uuid),
    /**
     * The group call this leg belongs to, the same on every leg of one mesh
     * (chosen by whoever started it, carried on by those who join): the
     * conversation's log shows one call per id. Omitted: the call id.
     */
    group_call_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export const CallAnswerFrame = Type.Object(
  { type: Type.Literal('call_answer'), ...base, answer: Description('answer') },
  { additionalProperties: false },
);
export const CallCandidatesFrame = Type.Object(
  {
    type: Type.Literal('call_candidates'),
    ...base,
    /** Batched; a candidate with an empty `candidate` string ends them. */
    candidates: Type.Array(Candidate, { minItems: 1, maxItems: 64 }),
  },
  { additionalProperties: false },
);
export const CallSelectAnswerFrame = Type.Object(
  { type: Type.Literal('call_select_answer'), ...base, selected_party_id: PartyId },
  { additionalProperties: false },
);
export const CallRejectFrame = Type.Object({ type: Type.Literal('call_reject'), ...base }, { additionalProperties: false });
export const CallNegotiateFrame = Type.Object(
  {
    type: Type.Literal('call_negotiate'),
    ...base,
    description: Description('either'),
    lifetime: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 120_000 })),
  },
  { additionalProperties: false },
);
export const CallHangupFrame = Type.Object(
  {
    type: Type.Literal('call_hangup'),
    ...base,
    reason: Type.Optional(
      Type.Union([
        Type.Literal('user_hangup'),
        Type.Literal('invite_timeout'),
        Type.Literal('ice_failed'),
        Type.Literal('ice_timeout'),
        Type.Literal('user_busy'),
        Type.Literal('user_media_failed'),
        Type.Literal('user_rejected'),
        Type.Literal('answered_elsewhere'),
        Type.Literal('unknown_error'),
      ]),
    ),
  },
  { additionalProperties: false },
);

export const CallFrames = {
  call_invite: CallInviteFrame,
  call_answer: CallAnswerFrame,
  call_candidates: CallCandidatesFrame,
  call_select_answer: CallSelectAnswerFrame,
  call_reject: CallRejectFrame,
  call_negotiate: CallNegotiateFrame,
  call_hangup: CallHangupFrame,
} as const;

/** The call frame types, for code that routes every one of them the same way. */
export const CALL_FRAME_TYPES = Object.keys(CallFrames) as Array<keyof typeof CallFrames>;

/** True for a call signaling frame (either direction): its `type` starts with `call_`. */
export function isCallFrame<F extends { type: string }>(frame: F): frame is Extract<F, { type: `call_${string}` }> {
  return frame.type.startsWith('call_');
}

export type CallInviteFrame = Static<typeof CallInviteFrame>;
export type CallAnswerFrame = Static<typeof CallAnswerFrame>;
export type CallCandidatesFrame = Static<typeof CallCandidatesFrame>;
export type CallSelectAnswerFrame = Static<typeof CallSelectAnswerFrame>;
export type CallRejectFrame = Static<typeof CallRejectFrame>;
export type CallNegotiateFrame = Static<typeof CallNegotiateFrame>;
export type CallHangupFrame = Static<typeof CallHangupFrame>;
export type CallClientFrame =
  | CallInviteFrame
  | CallAnswerFrame
  | CallCandidatesFrame
  | CallSelectAnswerFrame
  | CallRejectFrame
  | CallNegotiateFrame
  | CallHangupFrame;

/** A call frame without its request id, as it is relayed. */
export type CallRelayFrame = CallClientFrame extends infer F ? (F extends unknown ? Omit<F, 'id'> : never) : never;

/** A call frame as relayed to the other party: the sender's frame plus who sent it and where. */
export type CallPushFrame = CallRelayFrame & {
  conversation_id: ConversationId;
  sender_id: UserId;
};

/** `GET /api/v1/calls/ice-servers`: STUN/TURN servers for RTCPeerConnection, with short-lived TURN credentials. */
export interface IceServersResponse {
  ice_servers: Array<{ urls: string[]; username?: string; credential?: string }>;
  /** Seconds the TURN credentials stay valid. */
  ttl: number;
}
