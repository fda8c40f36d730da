import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS package loaded synchronously on first use instead of at start. For packages only some
 * work needs (SMTP, webhook and chat clients, Markdown, Web Push): a cold start of the server does
 * not load them (~1/3 of its module loading, docs/performance.md 24.5c), and the code that uses
 * them stays synchronous.
 */
export function lazyModule<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
