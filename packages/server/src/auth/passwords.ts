import { hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id: the package exports it as a const enum, which isolated modules cannot read.
const ARGON2ID = 2;

/**
 * Password hashing with argon2id at OWASP's recommended minimum
 * (19 MiB memory, 2 iterations, 1 lane).
 */
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/**
 * Verifies against a throwaway hash, so a login for an unknown user costs the
 * same time as a wrong password and the answer cannot tell them apart.
 */
export async function burnVerify(password: string): Promise<false> {
  dummy ??= hashPassword('parley-dummy-password');
  await verifyPassword(await dummy, password);
  return false;
}
