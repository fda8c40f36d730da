import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configurationMarkdown } from '../../src/server/config-docs.js';

describe('generated documentation', () => {
  it('docs/configuration.md matches the option table (run `npm run docs` when this fails)', () => {
    expect(fs.readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')).toBe(configurationMarkdown());
  });
});
