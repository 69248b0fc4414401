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
 * Records `case.exported` on the case, then downloads the bundle. It is fetched rather than
 * navigated to, so a refusal (no signing key yet, the log catching up) is an error shown on the
 * page in a sentence, not a JSON body that replaces the console.
 */
export function useExportCase(caseId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const recorded = await call(api.POST('/api/v1/cases/{id}/exports', { params: { path: { id: caseId } } }));
      const zip = await call(
        api.GET('/api/v1/cases/{id}/exports/{eventId}/bundle.zip', { params: { path: { id: caseId, eventId: recorded.eventId! } }, parseAs: 'blob' }),
      );
      saveFile(zip as Blob, `case-${caseId}.zip`);
      return recorded;
    },
    onSettled: () => client.invalidateQueries({ queryKey: ['case', caseId] }),
  });
}

/** Hands a blob to the browser as a download under the given name. */
function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
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
