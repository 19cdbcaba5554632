import { describe } from 'vitest';
import { integration } from './integration.ts';

describe('on PGlite (embedded)', () => integration('pglite'));
