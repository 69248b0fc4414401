import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from './client';

/** The case's hash chain, recomputed by the server from the stored bytes. */
export function useChainStatus(caseId: string) {
  return useQuery({
    queryKey: ['case', caseId, 'verification'],
    queryFn: () => call(api.GET('/api/v1/cases/{id}/verification', { params: { path: { id: caseId } } })),
  });
}

/**
 * Records `case.exported` on the case, then hands the bundle's address to the browser as a
 * download (a plain navigation: the session cookie goes with it, nothing is held in memory).
 */
export function useExportCase(caseId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.POST('/api/v1/cases/{id}/exports', { params: { path: { id: caseId } } })),
    onSuccess: (recorded) => {
      if (recorded.bundle) globalThis.location.assign(recorded.bundle);
    },
    onSettled: () => client.invalidateQueries({ queryKey: ['case', caseId] }),
  });
}

/** The newest signed checkpoint, as the signed note's text. */
export function useCheckpoint() {
  return useQuery({
    queryKey: ['log', 'checkpoint'],
    queryFn: () => call(api.GET('/api/v1/log/checkpoint', { parseAs: 'text' })) as Promise<string>,
  });
}

/** The auditor's trust file: each verifier key with the tree sizes it is valid for. */
export function useTrustFile(enabled: boolean) {
  return useQuery({
    queryKey: ['log', 'trust'],
    enabled,
    queryFn: () => call(api.GET('/api/v1/log/trust', { parseAs: 'text' })) as Promise<string>,
  });
}

/** Verifies the whole log now (the server runs one at a time). */
export function useVerifyLog() {
  return useMutation({ mutationFn: () => call(api.POST('/api/v1/log/verifications')) });
}
