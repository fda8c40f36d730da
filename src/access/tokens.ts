import crypto from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function randomString(len: number): string {
  const bytes = crypto.randomBytes(len);
  let out = '';
  for (let i = 0; i < len; i++) out += ALPHABET[bytes[i] % ALPHABET.length];
  return out;
}

/** A token is "<10-char id>-<22-char secret>", as the reference's session tokens. */
export function newToken(): { id: string; secret: string; token: string; hashedSecret: Buffer } {
  const id = randomString(10);
  const secret = randomString(22);
  return { id, secret, token: `${id}-${secret}`, hashedSecret: hashSecret(secret) };
}

export function hashSecret(secret: string): Buffer {
  return crypto.createHash('sha256').update(secret).digest();
}

export function parseToken(token: string): { id: string; secret: string } | undefined {
  const m = /^([A-Za-z0-9]{10})-([A-Za-z0-9]{22})$/.exec(token.trim());
  return m ? { id: m[1], secret: m[2] } : undefined;
}

export function secretMatches(secret: string, hashed: Buffer | Uint8Array): boolean {
  const a = hashSecret(secret);
  const b = Buffer.from(hashed);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
