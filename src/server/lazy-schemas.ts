import ValidatorSelector from '@fastify/ajv-compiler';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

// Fastify compiles every route's validation and serialisation schemas when the server gets ready:
// ~170 routes, most of the server build's time in a cold start (docs/performance.md, 24.5c). A
// route's schemas are compiled on its first request instead, by Fastify's own compilers (same
// options, same shared schemas), so a cold start pays only for the routes it serves. Nothing
// about validation changes; a schema that fails to compile would fail on first use rather than
// at start, so `compileAll` compiles everything on demand and the test suite calls it.

type ValidatorFn = ((data: unknown) => unknown) & { errors?: unknown };
type Compile<F> = (route: unknown) => F;

export interface LazySchemas {
  compilersFactory: NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
  /** Compiles every schema not compiled yet; returns how many it compiled. */
  compileAll(): number;
}

/**
 * Fastify matches header names in lower case, and lower-cases a headers schema itself unless the
 * compiler is a custom one, as this factory is to Fastify: done here instead.
 */
function headersInLowerCase(route: unknown): unknown {
  const r = route as { httpPart?: string; schema?: { properties?: Record<string, unknown>; required?: string[] } };
  if (r.httpPart !== 'headers' || typeof r.schema !== 'object' || r.schema === null) return route;
  const { properties, required } = r.schema;
  return {
    ...r,
    schema: {
      ...r.schema,
      ...(properties && { properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k.toLowerCase(), v])) }),
      ...(required && { required: required.map((k) => k.toLowerCase()) }),
    },
  };
}

export function lazySchemas(): LazySchemas {
  const pending = new Set<() => void>();
  const lazily = <F>(compile: Compile<F>, route: unknown) => {
    let fn: F | undefined;
    const force = () => {
      pending.delete(force);
      return (fn ??= compile(route));
    };
    pending.add(force);
    return () => fn ?? force();
  };
  const buildValidator = ValidatorSelector();
  const buildSerializer = SerializerSelector();
  return {
    compilersFactory: {
      buildValidator: (external: unknown, options: unknown) => {
        const compile = (buildValidator as (e: unknown, o: unknown) => Compile<ValidatorFn>)(external, options);
        return (route: unknown) => {
          const get = lazily(compile, headersInLowerCase(route));
          // Fastify reads the errors of a failed validation from the function it was given.
          const validate: ValidatorFn = (data) => {
            const real = get();
            const ok = real(data);
            validate.errors = real.errors;
            return ok;
          };
          return validate;
        };
      },
      buildSerializer: (external: unknown, options: unknown) => {
        const compile = (buildSerializer as (e: unknown, o: unknown) => Compile<(data: unknown) => string>)(external, options);
        return (route: unknown) => {
          const get = lazily(compile, route);
          return (data: unknown) => get()(data);
        };
      },
    } as LazySchemas['compilersFactory'],
    compileAll() {
      const all = [...pending];
      for (const force of all) force();
      return all.length;
    },
  };
}
