import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from './client';
import type { paths } from './schema';
import type { CaseListQuery } from './types';

/** A saved view's query: the queue's filters and order, exactly as the list route takes them. */
export type ViewQuery = NonNullable<paths['/api/v1/views']['post']['requestBody']>['content']['application/json']['query'];
export type SavedView = NonNullable<paths['/api/v1/views']['get']['responses'][200]['content']['application/json']['items']>[number];

/** How many cases match the filters (exact up to the server's cap; `more` beyond it). */
export function useCaseCount(filters: CaseListQuery) {
  const { sort: _sort, ...counted } = filters;
  return useQuery({
    queryKey: ['case-count', counted],
    queryFn: () => call(api.GET('/api/v1/cases/count', { params: { query: counted } })),
    // The old number stays while the new one is asked for, instead of the line flickering empty.
    placeholderData: keepPreviousData,
  });
}

/** The signed-in user's saved views. */
export function useViews() {
  return useQuery({ queryKey: ['views'], queryFn: async () => (await call(api.GET('/api/v1/views'))).items ?? [] });
}

export function useSaveView() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (view: { name: string; query: ViewQuery }) => call(api.POST('/api/v1/views', { body: view })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['views'] }),
  });
}

export function useDeleteView() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => call(api.DELETE('/api/v1/views/{id}', { params: { path: { id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['views'] }),
  });
}
