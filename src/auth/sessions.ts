// Kept for `herald reset-password` (src/cli/commands/reset-password.ts), which revokes sessions
// directly on the database; everything else goes through the auth service (service.ts).
export { deleteApiKeysByUser, type ApiKeyRow } from './queries.js';
