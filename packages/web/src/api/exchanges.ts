import { useQuery } from '@tanstack/react-query';
import { api, call } from './client';
import type { paths } from './schema';

export type Exchange = paths['/api/v1/cases/{id}/exchanges/{sha256}']['get']['responses'][200]['content']['application/json'];

/**
 * One external request or response of an action, as the server presents it (credential headers
 * and configured secrets already replaced). Stored by hash, so it never changes: fetched once.
 */
export function useExchange(caseId: string, sha256: string) {
  return useQuery({
    queryKey: ['case', caseId, 'exchange', sha256],
    queryFn: () => call(api.GET('/api/v1/cases/{id}/exchanges/{sha256}', { params: { path: { id: caseId, sha256 } } })),
    staleTime: Infinity,
  });
}
