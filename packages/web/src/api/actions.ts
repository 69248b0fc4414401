import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from './client';
import type { Action, AvailableAction, Simulation, Suggestion, WaitingItem } from './types';

export interface CaseActions {
  items: Action[];
  available: AvailableAction[];
  suggestions: Suggestion[];
}

/** Actions proposed on a case, those its type allows, and what the plugins suggest. */
export function useCaseActions(caseId: string) {
  return useQuery({
    queryKey: ['case', caseId, 'actions'],
    queryFn: async () => (await call(api.GET('/api/v1/cases/{id}/actions', { params: { path: { id: caseId } } }))) as unknown as CaseActions,
  });
}

/** One action with its decisions in the current round. */
export function useAction(actionId: string) {
  return useQuery({
    queryKey: ['action', actionId],
    queryFn: async () => (await call(api.GET('/api/v1/actions/{id}', { params: { path: { id: actionId } } }))) as Action,
  });
}

export interface Proposal {
  plugin: string;
  action: string;
  input: Record<string, unknown>;
}

/** What the policy will require for this input; writes nothing. */
export function useSimulation(caseId: string, proposal: Proposal | undefined) {
  return useQuery({
    queryKey: ['simulate', caseId, proposal],
    enabled: proposal !== undefined,
    queryFn: () => call(api.POST('/api/v1/cases/{id}/actions:simulate', { params: { path: { id: caseId } }, body: proposal! })) as Promise<Simulation>,
    retry: false,
  });
}

export function usePropose(caseId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (proposal: Proposal) => (await call(api.POST('/api/v1/cases/{id}/actions', { params: { path: { id: caseId } }, body: proposal }))) as Action,
    onSettled: () => client.invalidateQueries({ queryKey: ['case', caseId] }),
  });
}

/**
 * The proposer changes the input, at the version they saw: approvals given so far are voided and
 * the policy is asked again (the timeline shows `action.voided`).
 */
export function useEditAction(actionId: string, caseId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (edit: { input: Record<string, unknown>; version: number }) =>
      (await call(api.PATCH('/api/v1/actions/{id}', { params: { path: { id: actionId } }, body: edit }))) as Action,
    onSettled: async () => {
      await Promise.all([client.invalidateQueries({ queryKey: ['case', caseId] }), client.invalidateQueries({ queryKey: ['action', actionId] })]);
    },
  });
}

export interface DecisionInput {
  decision: 'approve' | 'deny';
  payloadHash: string;
  reason?: string;
  onBehalfOf?: string;
}

/** Approve or deny; a refusal is recorded on the case's timeline, so it is refreshed either way. */
export function useDecide(actionId: string, caseId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (decision: DecisionInput) =>
      (await call(api.POST('/api/v1/actions/{id}/decisions', { params: { path: { id: actionId } }, body: decision }))) as Action,
    onSettled: async () => {
      await Promise.all([
        client.invalidateQueries({ queryKey: ['case', caseId] }),
        client.invalidateQueries({ queryKey: ['action', actionId] }),
        client.invalidateQueries({ queryKey: ['approvals'] }),
      ]);
    },
  });
}

/** What waits for my decision (or for someone who delegated to me), soonest deadline first. */
export function useWaitingForMe(enabled: boolean) {
  return useQuery({
    queryKey: ['approvals', 'me'],
    enabled,
    queryFn: async () => ((await call(api.GET('/api/v1/approvals', { params: { query: { waiting_for: 'me' } } }))).items ?? []) as unknown as WaitingItem[],
  });
}
