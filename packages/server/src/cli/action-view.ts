import { call, type Connection } from './api-client.js';
import { inert } from './output.js';

/** An action as GET /api/v1/actions/{id} presents it (the fields the CLI prints). */
export interface ActionView {
  id: string;
  caseId: string;
  plugin: string;
  action: string;
  input: Record<string, unknown>;
  payloadHash: string;
  status: string;
  proposedBy: string;
  requirements: { summary: string };
  expiresAt: string | null;
  result: unknown;
  decisions: { decision: string; decidedBy: string; onBehalfOf: string | null; reason: string | null; at: string }[];
  version: number;
}

/**
 * People's names by id, for printing "proposed by Olivia". Reading users needs `user:read`; without
 * it (an auditor) ids are printed instead, which is still true.
 */
export async function userNames(conn: Connection): Promise<Map<string, string>> {
  try {
    const users = (await call(conn, 'GET', '/api/v1/users')) as { items: { id: string; name: string }[] };
    return new Map(users.items.map((u) => [u.id, inert(u.name)]));
  } catch {
    return new Map();
  }
}

const who = (names: Map<string, string>, id: string) => names.get(id) ?? id;

/** The payload exactly as it will be sent, and the hash a decision is bound to. */
export function payloadLines(action: ActionView): string[] {
  const json = JSON.stringify(action.input, null, 2).split('\n').map((line) => `    ${inert(line)}`);
  return [`  payload (sha256 ${action.payloadHash}):`, ...json];
}

/** What a reviewer reads before deciding: what, on which case, who asked, what it needs, the payload and its hash. */
export function describeAction(action: ActionView, names: Map<string, string>): string[] {
  const lines = [
    `action ${action.id} on case ${action.caseId}`,
    `  ${action.plugin}.${action.action}, ${action.status}, proposed by ${who(names, action.proposedBy)} (version ${action.version})`,
    `  needs: ${action.requirements.summary}${action.expiresAt ? `; decide before ${action.expiresAt}` : ''}`,
    ...payloadLines(action),
  ];
  for (const d of action.decisions ?? []) {
    const onBehalf = d.onBehalfOf ? ` for ${who(names, d.onBehalfOf)}` : '';
    lines.push(`  ${d.at}  ${d.decision === 'approve' ? 'approved' : 'DENIED'} by ${who(names, d.decidedBy)}${onBehalf}${d.reason ? `: ${inert(d.reason)}` : ''}`);
  }
  if (action.result !== null && action.result !== undefined) lines.push(`  result: ${inert(JSON.stringify(action.result))}`);
  return lines;
}
