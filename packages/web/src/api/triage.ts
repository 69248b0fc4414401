import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from './client';
import type { paths } from './schema';

export type CaseIntelligence = paths['/api/v1/cases/{id}/intelligence']['get']['responses'][200]['content']['application/json'];
export type TriageDecision = NonNullable<paths['/api/v1/cases/{id}/triage']['post']['requestBody']>['content']['application/json'];

/** The triage panel: suggestion, decision, the rule that applies, similar cases; polled while the suggestion is awaited. */
export function useCaseIntelligence(caseId: string) {
  return useQuery({
    queryKey: ['case', caseId, 'intelligence'],
    queryFn: () => call(api.GET('/api/v1/cases/{id}/intelligence', { params: { path: { id: caseId } } })),
    refetchInterval: (query) => (query.state.data?.state === 'awaiting' ? 3_000 : false),
  });
}

/** Accepts or overrides, at the case version the operator saw; the whole case page refreshes. */
export function useDecideTriage(caseId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (decision: TriageDecision) => call(api.POST('/api/v1/cases/{id}/triage', { params: { path: { id: caseId } }, body: decision })),
    onSettled: () => void client.invalidateQueries({ queryKey: ['case', caseId] }),
  });
}
