import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from './client';
import type { paths } from './schema';

export type PluginContext = NonNullable<paths['/api/v1/cases/{id}/context']['get']['responses'][200]['content']['application/json']['items']>[number];

/** Facts plugins attached to the case, per plugin; polled while an answer is pending (plugins answer after the case opens). */
export function useCaseContext(caseId: string) {
  return useQuery({
    queryKey: ['case', caseId, 'context'],
    queryFn: () => call(api.GET('/api/v1/cases/{id}/context', { params: { path: { id: caseId } } })),
    refetchInterval: (query) => (query.state.data?.items?.some((i) => i.status === 'pending') ? 1_500 : false),
  });
}

/** Asks the plugins again; the list shows `pending` until they answer. */
export function useRefreshContext(caseId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.POST('/api/v1/cases/{id}/context:refresh', { params: { path: { id: caseId } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['case', caseId, 'context'] }),
  });
}
