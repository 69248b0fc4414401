import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRefreshCase } from './cases';
import { api, call } from './client';

/** The messages intake brought to a case and the replies sent from it, oldest first (text only). */
export function useCaseIntake(caseId: string) {
  return useQuery({ queryKey: ['case', caseId, 'intake'], queryFn: () => call(api.GET('/api/v1/cases/{id}/intake', { params: { path: { id: caseId } } })) });
}

/** Queues a reply to the requester; the key makes a resent click the same reply. */
export function useSendReply(caseId: string) {
  const refresh = useRefreshCase(caseId);
  return useMutation({
    mutationFn: ({ body, key }: { body: string; key: string }) =>
      call(api.POST('/api/v1/cases/{id}/replies', { params: { path: { id: caseId } }, headers: { 'Idempotency-Key': key }, body: { body } })),
    // The case's queries include its intake (['case', id, 'intake']).
    onSuccess: () => void refresh(),
  });
}

/** Intakes held back, newest first, a page at a time (fetchNextPage follows the server's cursor). */
export function useQuarantine(status: 'held' | 'released' | 'discarded') {
  return useInfiniteQuery({
    queryKey: ['intake', 'quarantine', status],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => call(api.GET('/api/v1/intake/quarantine', { params: { query: { status, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
}

/** Releases or discards a held item (both on the record). */
export function useDecideQuarantined() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, decision }: { id: string; decision: 'release' | 'discard' }): Promise<unknown> =>
      decision === 'release'
        ? call(api.POST('/api/v1/intake/quarantine/{id}/release', { params: { path: { id } } }))
        : call(api.POST('/api/v1/intake/quarantine/{id}/discard', { params: { path: { id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ['intake', 'quarantine'] }),
  });
}
