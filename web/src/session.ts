import { createContext, useContext } from 'react';
import type { User } from './api.js';

export interface SessionApi {
  user: User;
  refresh(): Promise<void>;
}
export const SessionContext = createContext<SessionApi | undefined>(undefined);

/** The signed-in user (only inside the signed-in layout). */
export function useSession(): SessionApi {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside the signed-in layout');
  return s;
}

export const hasRole = (user: User, ...roles: string[]) => user.roles.some((r) => roles.includes(r.name));
