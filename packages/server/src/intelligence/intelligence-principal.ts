import type { Principal } from '@latch/core';
import { SYSTEM_STREAM } from '../db/event-store.js';

/**
 * Who the intelligence layer is, were it to ask for anything: no roles, no teams, no permissions.
 * It has no session or token either, so it can't reach the API; its only write is the
 * `intelligence.suggested` event the triage job records, and nothing reads a suggestion as a command.
 */
export const INTELLIGENCE_PRINCIPAL: Principal = Object.freeze({ userId: SYSTEM_STREAM, roles: [], teams: [], permissions: new Set() as ReadonlySet<never> });
