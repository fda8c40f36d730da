// Secrets at rest (bot tokens, destination signing secrets, the VAPID private key): AES-256-GCM
// with a 32-byte key from --secrets-key-file, or from <data-dir>/secrets.key, generated on first
// use with mode 0600. A sealed value is "v1:" + base64url(iv ‖ tag ‖ ciphertext); the context
// (e.g. "webpush.vapid") is authenticated data, so a value cannot be moved to another purpose.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface SecretBox {
  seal(plaintext: string, context: string): string;
  /** Throws when the value was not sealed with this key and context. */
  open(sealed: string, context: string): string;
}

const PREFIX = 'v1:';

/** Reads a key written as 32 raw bytes, 64 hex digits or base64 of 32 bytes. */
export function parseKey(raw: Buffer): Buffer {
  if (raw.length === 32) return raw;
  const text = raw.toString('utf8').trim();
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  const b = Buffer.from(text, 'base64');
  if (b.length === 32) return b;
  throw new Error('the secrets key must be 32 bytes (raw, hex or base64)');
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('the secrets key must be 32 bytes');
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(Buffer.from(context));
      const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
      return PREFIX + Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64url');
    },
    open(sealed, context) {
      if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed secret');
      const b = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
      if (b.length < 28) throw new Error('not a sealed secret');
      const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
      d.setAAD(Buffer.from(context));
      d.setAuthTag(b.subarray(12, 28));
      return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

/**
 * A SecretBox whose key is read (or, without a key file, generated into dataDir) on first use, so a
 * deployment that stores no secret never writes a key.
 */
export function lazySecretBox(o: { keyFile: string; dataDir: string }): SecretBox {
  let box: SecretBox | undefined;
  const get = (): SecretBox => {
    if (box) return box;
    let key: Buffer;
    if (o.keyFile) {
      key = parseKey(fs.readFileSync(o.keyFile));
    } else {
      const file = path.join(o.dataDir, 'secrets.key');
      try {
        key = parseKey(fs.readFileSync(file));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        fs.mkdirSync(o.dataDir, { recursive: true });
        try {
          // 'wx': two processes starting together keep the first key written.
          fs.writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        key = parseKey(fs.readFileSync(file));
      }
    }
    box = createSecretBox(key);
    return box;
  };
  return {
    seal: (p, c) => get().seal(p, c),
    open: (s, c) => get().open(s, c),
  };
}

/** "abcd…wxyz"-style masking for showing that a secret is set without showing it. */
export function maskSecret(s: string): string {
  if (!s) return '';
  return s.length <= 8 ? '********' : `${s.slice(0, 4)}********`;
}
