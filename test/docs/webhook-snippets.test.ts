import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseWebhookSecret, webhookSignatureHeaders } from '../../src/notifications/dispatch/signing.js';

// The verification examples in the admin guide must actually verify what Herald signs.
const guide = fs.readFileSync(new URL('../../docs/admin/notifications.md', import.meta.url), 'utf8');
const block = (lang: string, marker: string) => {
  const re = new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g');
  for (const m of guide.matchAll(re)) if (m[1].includes(marker)) return m[1];
  throw new Error(`no ${lang} block with ${marker}`);
};

const SECRET = 'whsec_' + Buffer.from('a shared secret for the docs test').toString('base64');
const body = JSON.stringify({ _version: '1.1', msg_id: 'm-1', title: 'Hi "there"' });
const headers = webhookSignatureHeaders(parseWebhookSecret(SECRET), 'm-1', body);

describe('webhook verification examples in docs/admin/notifications.md', () => {
  it('the Node.js example accepts a genuine request and rejects a tampered one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-doc-'));
    const file = path.join(dir, 'verify.mjs');
    fs.writeFileSync(file, block('js', 'verifyHeraldWebhook'));
    const { verifyHeraldWebhook } = await import(file);
    expect(verifyHeraldWebhook(SECRET, headers, body)).toBe(true);
    expect(verifyHeraldWebhook(SECRET, headers, body.replace('Hi', 'Bye'))).toBe(false);
    expect(verifyHeraldWebhook(SECRET, { ...headers, 'webhook-timestamp': '1000' }, body)).toBe(false);
  });

  const python = spawnSync('python3', ['--version']).status === 0;
  it.skipIf(!python)('the Python example accepts a genuine request and rejects a tampered one (skipped without python3)', () => {
    const code = `${block('python', 'verify_herald_webhook')}
import json, sys
h = json.loads(sys.argv[1]); body = sys.argv[2].encode()
print(verify_herald_webhook(sys.argv[3], h, body), verify_herald_webhook(sys.argv[3], h, body + b" "))`;
    const r = spawnSync('python3', ['-c', code, JSON.stringify(headers), body, SECRET], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('True False');
  });
});
