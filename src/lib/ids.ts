/** The shapes of the names people put in paths. */
export const USERNAME_RE = /^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
