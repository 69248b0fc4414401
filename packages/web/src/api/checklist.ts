import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from './client';
import type { paths } from './schema';

export type ChecklistItem = NonNullable<paths['/api/v1/cases/{id}/checklist']['get']['responses'][200]['content']['application/json']['items']>[number];

/** The case type's checklist for this case (empty when the type declares none). */
export function useChecklist(caseId: string) {
  return useQuery({
    queryKey: ['case', caseId, 'checklist'],
    queryFn: async () => (await call(api.GET('/api/v1/cases/{id}/checklist', { params: { path: { id: caseId } } }))).items ?? [],
  });
}

/** Ticks an item with a note; the case (its timeline, its proposable actions) is refetched. */
export function useTickChecklist(caseId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ key, note }: { key: string; note: string }) => call(api.POST('/api/v1/cases/{id}/checklist/{key}', { params: { path: { id: caseId, key } }, body: { note } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['case', caseId] }),
  });
}
