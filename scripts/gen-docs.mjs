// Regenerates the documentation that is derived from the code (run after `npm run build`).
import fs from 'node:fs';
import { configurationMarkdown } from '../dist/server/config-docs.js';
import { cliMarkdown } from '../dist/cli/help-docs.js';
import { apiMarkdown } from '../dist/server/api-docs.js';
import { openApiDocument } from '../dist/server/openapi.js';

const write = (rel, text) => {
  const url = new URL(`../docs/${rel}`, import.meta.url);
  fs.mkdirSync(new URL('.', url), { recursive: true });
  fs.writeFileSync(url, text);
  console.log(`wrote docs/${rel}`);
};
write('configuration.md', configurationMarkdown());
write('reference/cli.md', cliMarkdown());
write('reference/api.md', apiMarkdown(await openApiDocument()));
