import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configurationMarkdown } from '../../src/server/config-docs.js';
import { cliMarkdown } from '../../src/cli/help-docs.js';
import { apiMarkdown } from '../../src/server/api-docs.js';
import { openApiDocument } from '../../src/server/openapi.js';

const read = (rel: string) => fs.readFileSync(new URL(`../../docs/${rel}`, import.meta.url), 'utf8');

// When one of these fails, run `npm run docs` and commit the result.
describe('generated documentation is current', () => {
  it('docs/configuration.md matches the option table', () => {
    expect(read('configuration.md')).toBe(configurationMarkdown());
  });
  it('docs/reference/cli.md matches every command\'s --help', () => {
    expect(read('reference/cli.md')).toBe(cliMarkdown());
  });
  it('docs/reference/api.md matches the OpenAPI document', async () => {
    expect(read('reference/api.md')).toBe(apiMarkdown(await openApiDocument()));
  });
});
