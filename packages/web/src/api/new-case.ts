import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, call } from './client';
import type { paths } from './schema';

export type NewCase = paths['/api/v1/cases']['post']['requestBody']['content']['application/json'];
export type Priority = NonNullable<NewCase['priority']>;
export const PRIORITIES: readonly Priority[] = ['urgent', 'high', 'normal', 'low'];

/** Opens a case; the queue lists are refetched so it shows there too. */
export function useCreateCase() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NewCase) => call(api.POST('/api/v1/cases', { body })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['cases'] }),
  });
}
