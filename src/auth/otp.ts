import crypto from 'node:crypto';

// One-time passcodes for password reset. The code is random (a v4 UUID, as the reference's), so a
// fast keyed hash is enough: nobody can brute-force 122 random bits from a leaked hash. Only the
// hash is stored; it has the form "$hmac-sha256$<salt b64>$<mac b64>" where mac = HMAC(salt, code).

const PREFIX = 'hmac-sha256';
const SALT_LEN = 16;

export function generatePasscode(): string {
  return crypto.randomUUID();
}

function mac(salt: Buffer, code: string): Buffer {
  return crypto.createHmac('sha256', salt).update(code, 'utf8').digest();
}

/** The stored form of a passcode (bytes for the users.hashed_one_time_passcode column). */
export function hashPasscode(code: string): Buffer {
  const salt = crypto.randomBytes(SALT_LEN);
  return Buffer.from(`$${PREFIX}$${salt.toString('base64')}$${mac(salt, code).toString('base64')}`);
}

// Compared against when nothing is stored, so a missing code costs the same as a wrong one.
const DUMMY = hashPasscode(generatePasscode());

function parse(stored: Uint8Array): { salt: Buffer; expected: Buffer } | undefined {
  const parts = Buffer.from(stored).toString('utf8').split('$');
  if (parts.length !== 4 || parts[0] !== '' || parts[1] !== PREFIX) return undefined;
  const salt = Buffer.from(parts[2], 'base64');
  const expected = Buffer.from(parts[3], 'base64');
  if (salt.length !== SALT_LEN || expected.length !== 32) return undefined;
  return { salt, expected };
}

/**
 * Constant-time check of a passcode against its stored hash. An empty code, a missing or
 * malformed hash never match, and take the same path as a real comparison.
 */
export function verifyPasscode(code: string, stored: Uint8Array | null | undefined): boolean {
  const real = stored && stored.length ? parse(stored) : undefined;
  const { salt, expected } = real ?? parse(DUMMY)!;
  const ok = crypto.timingSafeEqual(mac(salt, code), expected);
  return ok && !!real && code.length > 0;
}
