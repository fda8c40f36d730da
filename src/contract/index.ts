// The API contract: schemas and types of every endpoint, the endpoint table and the typed client.
export * from './common.js';
export * from './users.js';
export * from './notifications.js';
export * from './inbox.js';
export * from './templates.js';
export * from './workspaces.js';
export * from './agents.js';
export * from './provisioner.js';
export * from './deployment.js';
export * from './channels.js';
export * from './endpoints.js';
export * from './client.js';
export * from './schedule-text.js';
