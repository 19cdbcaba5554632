import { useEffect, useRef, type MouseEvent, type PointerEvent } from 'react';

/** How long a finger rests before it is a long press (about what phones use for their own menus). */
const LONG_PRESS_MS = 500;
/** A finger that moves further than this is scrolling, not pressing. */
const SLOP_PX = 10;

/**
 * Touch long-press for an element: `onLongPress` runs after a finger rests
 * on it, and the click (and the browser's own menu) that would follow is
 * swallowed. Mouse and pen are left alone: they have hover and right-click.
 */
export function useLongPress(onLongPress: () => void) {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const start = useRef<{ x: number; y: number } | null>(null);
  const fired = useRef(false);
  const callback = useRef(onLongPress);
  callback.current = onLongPress;
  useEffect(() => () => clearTimeout(timer.current), []);

  const cancel = (): void => {
    clearTimeout(timer.current);
    start.current = null;
  };
  return {
    onPointerDown(event: PointerEvent) {
      if (event.pointerType !== 'touch') return;
      fired.current = false;
      start.current = { x: event.clientX, y: event.clientY };
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        fired.current = true;
        start.current = null;
        swallowNextClick();
        callback.current();
      }, LONG_PRESS_MS);
    },
    onPointerMove(event: PointerEvent) {
      const from = start.current;
      if (from && Math.hypot(event.clientX - from.x, event.clientY - from.y) > SLOP_PX) cancel();
    },
    onPointerUp: cancel,
    onPointerCancel: cancel,
    onContextMenu(event: MouseEvent) {
      if (fired.current || start.current) event.preventDefault();
    },
  };
}

/**
 * Some browsers end a long press with a click where the finger lifts: by then
 * the menu the press opened is under it, and the click would choose an item
 * of it (or close it). Swallow that one click; a new touch first means the
 * next click is a real one.
 */
function swallowNextClick(): void {
  const swallow = (event: Event): void => {
    event.preventDefault();
    event.stopPropagation();
    stop();
  };
  const stop = (): void => {
    document.removeEventListener('click', swallow, true);
    document.removeEventListener('pointerdown', stop, true);
  };
  document.addEventListener('click', swallow, true);
  document.addEventListener('pointerdown', stop, true);
}
