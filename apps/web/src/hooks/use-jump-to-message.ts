import type { Seq } from '@parley/protocol';
import { useEffect, useRef, type RefObject } from 'react';

/** A message to show in its conversation: `nonce` tells a second jump to the same one from the first. */
export interface JumpTarget {
  seq: Seq;
  nonce: number;
}

/** How long a message jumped to stays marked. */
const MARK_MS = 2500;

/**
 * Brings the message `target.seq` into view in the list (loading older pages
 * until it is in), centred and marked for a moment: where a search result
 * leads. `firstSeq` is the oldest loaded entry's seq.
 */
export function useJumpToMessage(
  scroller: RefObject<HTMLElement | null>,
  target: JumpTarget | null | undefined,
  state: { firstSeq: Seq | undefined; hasOlder: boolean; loadingOlder: boolean; loadOlder: () => void; onLanded: () => void },
): void {
  const done = useRef<number | null>(null);
  const { firstSeq, hasOlder, loadingOlder, loadOlder, onLanded } = state;
  useEffect(() => {
    if (!target || done.current === target.nonce) return;
    const row = scroller.current?.querySelector<HTMLElement>(`li[data-seq="${target.seq}"]`);
    if (row) {
      done.current = target.nonce;
      row.scrollIntoView({ block: 'center' });
      row.classList.add('message--found');
      setTimeout(() => row.classList.remove('message--found'), MARK_MS);
      onLanded();
      return;
    }
    if (firstSeq !== undefined && firstSeq > target.seq && hasOlder && !loadingOlder) loadOlder();
  });
}
