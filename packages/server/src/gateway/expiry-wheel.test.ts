import { expect, it } from 'vitest';
import { ExpiryWheel } from './expiry-wheel.ts';

it('expires items at their second, once, and follows re-filing', () => {
  const wheel = new ExpiryWheel<string>();
  wheel.set('a', 10);
  wheel.set('b', 12);
  wheel.set('c', 10);
  wheel.set('c', 20); // refreshed in-band
  wheel.delete('b'); // closed
  expect(wheel.expire(9)).toEqual([]);
  expect(wheel.expire(11)).toEqual(['a']);
  expect(wheel.expire(11)).toEqual([]);
  expect(wheel.expire(25)).toEqual(['c']);
});
