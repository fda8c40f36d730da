// The architecture, as rules: docs/architecture.md draws exactly this picture, and
// test/architecture/boundaries.test.ts runs it in `npm test`.
//
//   api/ (HTTP) ──► services ──► data access (**/queries.ts) ──► db/ ──► lib/
//   services, one way:  platform/ ──► auth/ ──► notifications/ ──► access/ (actor, roles, tokens)
//   contract/ and lib/ import nothing else from src/; access/ only lib/.
//   server/ wires everything; cli/ talks to a server through the contract; web/src only sees contract/.

const SERVICES = '^src/(access|auth|notifications|platform)/';
const DATA = '^src/(auth|notifications|platform)/[a-z/-]*queries[.]ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No module imports itself back through others.',
      severity: 'error',
      from: { path: '^(src|web/src)/' },
      to: { circular: true },
    },
    {
      name: 'contract-stands-alone',
      comment: 'The API contract is shared with the dashboard and the CLI: it imports nothing else from src/.',
      severity: 'error',
      from: { path: '^src/contract/' },
      to: { path: '^src/', pathNot: '^src/contract/' },
    },
    {
      name: 'lib-stands-alone',
      comment: 'lib/ holds domain errors, the logger and small helpers that everything may use.',
      severity: 'error',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: '^src/lib/' },
    },
    {
      name: 'access-is-a-kernel',
      comment: 'Who is calling and what they may do: every feature uses it, it uses no feature.',
      severity: 'error',
      from: { path: '^src/access/' },
      to: { path: '^src/', pathNot: '^src/(access|lib)/' },
    },
    {
      name: 'notifications-know-no-feature',
      comment: 'The notification engine is below the features that raise notifications.',
      severity: 'error',
      from: { path: '^src/notifications/' },
      to: { path: '^src/(auth|platform)/' },
    },
    {
      name: 'auth-below-platform',
      comment: 'Users and sessions do not depend on workspaces and templates.',
      severity: 'error',
      from: { path: '^src/auth/' },
      to: { path: '^src/platform/' },
    },
    {
      name: 'db-is-the-bottom',
      comment: 'The database layer knows no feature.',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: '^src/', pathNot: '^src/(db|lib)/' },
    },
    {
      name: 'data-access-below-services',
      comment: 'Query modules run SQL and nothing else: they do not call services.',
      severity: 'error',
      from: { path: DATA },
      to: { path: '^src/(api|server|cli)/|(service|events|notify|reconciler|claim|builtin|complete|enqueue|dispatcher)[.]ts$' },
    },
    {
      name: 'services-never-speak-http',
      comment: 'Services raise domain errors (lib/errors.ts); only api/ knows HTTP, only server/ wires.',
      severity: 'error',
      from: { path: SERVICES },
      to: { path: ['^src/(api|server|cli)/', '(^|/)node_modules/(fastify|@fastify/)'] },
    },
    {
      name: 'http-goes-through-services',
      comment: 'Route handlers call services: no SQL, no database handle, no query module in api/.',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: ['^src/db/', '^src/(server|cli)/'] },
    },
    {
      name: 'http-never-runs-queries',
      comment: 'Row types of a query module may appear in api/, its functions may not.',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: DATA, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'only-the-composition-root-wires',
      comment: 'server/ assembles the process; nothing below it reaches up into it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(server|cli)/' },
      to: { path: '^src/server/' },
    },
    {
      name: 'cli-through-the-contract',
      comment: 'The CLI speaks to a server over HTTP (contract/), except the commands that run one.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/api/' },
    },
    {
      name: 'web-through-the-contract',
      comment: 'The dashboard takes its types and client from src/contract/ only.',
      severity: 'error',
      from: { path: '^web/src/' },
      to: { path: '^src/', pathNot: '^src/contract/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
    exclude: { path: '(^|/)(dist|node_modules)/' },
  },
};
