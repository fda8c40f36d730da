import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { Invalid } from '../lib/errors.js';

const scrypt = promisify(crypto.scrypt) as (
  pw: crypto.BinaryLike,
  salt: crypto.BinaryLike,
  len: number,
  opts: crypto.ScryptOptions,
) => Promise<Buffer>;

// scrypt is memory-hard and ships with Node: no native add-on to build.
const PARAMS = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LEN = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password.normalize('NFKC'), salt, KEY_LEN, PARAMS);
  return `$scrypt$N=${PARAMS.N},r=${PARAMS.r},p=${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

// Compared against when there is no stored hash, so an unknown account costs the same time.
let dummyHash: Promise<string> | undefined;

/** Constant-time comparison of a password with a stored hash; an empty hash never matches. */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const real = !!stored && stored.startsWith('$scrypt$');
  const encoded = real ? stored! : await (dummyHash ??= hashPassword('herald-dummy-password'));
  const [, , params, saltB64, keyB64] = encoded.split('$');
  const p = Object.fromEntries(params.split(',').map((kv) => kv.split('=').map((x, i) => (i ? Number(x) : x))));
  const expected = Buffer.from(keyB64, 'base64');
  const actual = await scrypt(password.normalize('NFKC'), Buffer.from(saltB64, 'base64'), expected.length, {
    N: p.N as number,
    r: p.r as number,
    p: p.p as number,
    maxmem: PARAMS.maxmem,
  });
  return crypto.timingSafeEqual(actual, expected) && real;
}

/**
 * Password strength: 8 to 64 characters and enough estimated entropy (character-set size
 * times distinct length), which rejects "password", "12345678" and "aaaaaaaaaaaa".
 */
export function validatePassword(password: string): string | undefined {
  if (password.length < 8) return 'Password must be at least 8 characters long.';
  if (password.length > 64) return 'Password must be at most 64 characters long.';
  let base = 0;
  if (/[a-z]/.test(password)) base += 26;
  if (/[A-Z]/.test(password)) base += 26;
  if (/[0-9]/.test(password)) base += 10;
  if (/[^a-zA-Z0-9]/.test(password)) base += 33;
  // Repeated characters and simple runs add little: count a character only when it differs
  // from the previous one by more than one code point.
  let effective = 0;
  for (let i = 0; i < password.length; i++) {
    const d = i ? Math.abs(password.charCodeAt(i) - password.charCodeAt(i - 1)) : 2;
    if (d > 1) effective++;
  }
  const bits = Math.log2(Math.max(base, 1)) * effective;
  if (bits < 50) return 'Password is too weak: use a longer password with more kinds of characters.';
  return undefined;
}

/** Throws Invalid (with the field) for a password validatePassword refuses. */
export function checkPassword(password: string, field = 'password'): void {
  const problem = validatePassword(password);
  if (problem) throw new Invalid('Invalid password.', problem, [{ field, detail: problem }]);
}
