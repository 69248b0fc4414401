import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from './client';
import type { paths } from './schema';

export type LinkKind = NonNullable<paths['/api/v1/cases/{id}/links']['post']['requestBody']>['content']['application/json']['kind'];
export type CaseLink = NonNullable<paths['/api/v1/cases/{id}/links']['get']['responses'][200]['content']['application/json']['items']>[number];

/** The kinds the API accepts, in the order the form offers them. */
export const LINK_KINDS: readonly LinkKind[] = ['relates', 'duplicates', 'blocks', 'parent_of'];

/** Links from and to this case (a link is one row, seen from both of its cases). */
export function useLinks(caseId: string) {
  return useQuery({
    queryKey: ['case', caseId, 'links'],
    queryFn: async () => (await call(api.GET('/api/v1/cases/{id}/links', { params: { path: { id: caseId } } }))).items ?? [],
  });
}

/** A link changes both cases (each records it on its timeline): both are refetched. */
function useRefreshBoth() {
  const client = useQueryClient();
  return (...ids: string[]) => Promise.all(ids.map((id) => client.invalidateQueries({ queryKey: ['case', id] })));
}

export function useAddLink(caseId: string) {
  const refresh = useRefreshBoth();
  return useMutation({
    mutationFn: (link: { caseId: string; kind: LinkKind }) => call(api.POST('/api/v1/cases/{id}/links', { params: { path: { id: caseId } }, body: link })),
    onSuccess: (_link, { caseId: other }) => void refresh(caseId, other),
  });
}

export function useRemoveLink(caseId: string) {
  const refresh = useRefreshBoth();
  return useMutation({
    mutationFn: (link: CaseLink) => call(api.DELETE('/api/v1/cases/{id}/links/{linkId}', { params: { path: { id: caseId, linkId: link.id! } } })),
    onSuccess: (_none, link) => void refresh(caseId, link.fromCaseId === caseId ? link.toCaseId! : link.fromCaseId!),
  });
}
