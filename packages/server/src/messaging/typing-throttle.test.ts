import { expect, it } from 'vitest';
import { TypingThrottle } from './typing-throttle.ts';

it('relays the first start of each window and a stop only after a relayed start', () => {
  let now = 0;
  const throttle = new TypingThrottle(2_000, () => now);
  expect(throttle.admit('u:c', 'stop')).toBe(false);
  expect(throttle.admit('u:c', 'start')).toBe(true);
  now = 1_000;
  expect(throttle.admit('u:c', 'start')).toBe(false);
  expect(throttle.admit('other:c', 'start')).toBe(true);
  now = 2_000;
  expect(throttle.admit('u:c', 'start')).toBe(true);
  expect(throttle.admit('u:c', 'stop')).toBe(true);
  expect(throttle.admit('u:c', 'stop')).toBe(false);
  expect(throttle.admit('u:c', 'start')).toBe(true);
});
