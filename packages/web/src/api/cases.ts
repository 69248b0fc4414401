import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from './client';
import type { paths } from './schema';
import type { CaseDetail, CaseListQuery, CaseType } from './types';

const PAGE_SIZE = '50';

/** One page at a time, filtered and ordered by the server: the console never loads the whole list. */
export function useCaseList(filters: CaseListQuery) {
  return useInfiniteQuery({
    queryKey: ['cases', filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      call(api.GET('/api/v1/cases', { params: { query: { ...filters, limit: PAGE_SIZE, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
}

export function useCase(id: string) {
  return useQuery({ queryKey: ['case', id], queryFn: () => call(api.GET('/api/v1/cases/{id}', { params: { path: { id } } })) });
}

/** Events per timeline page: the API allows up to 1,000; smaller pages make the first paint sooner. */
export const TIMELINE_PAGE = 200;

export type TimelinePage = paths['/api/v1/cases/{id}/timeline']['get']['responses'][200]['content']['application/json'];

/** Fetches the events after `afterSeq`, one page. */
export const fetchTimelinePage = (id: string, afterSeq: number) =>
  call(api.GET('/api/v1/cases/{id}/timeline', { params: { path: { id }, query: { after: String(afterSeq), limit: String(TIMELINE_PAGE) } } }));

/** The last sequence number in the loaded pages (0 before any). */
export function lastSeqOf(pages: readonly TimelinePage[]): number {
  for (let i = pages.length - 1; i >= 0; i--) {
    const items = pages[i]!.items ?? [];
    if (items.length > 0) return items[items.length - 1]!.seq ?? 0;
  }
  return 0;
}

/** The case's events, oldest first, a page at a time (?after=): the screen asks for more as it scrolls. */
export function useTimeline(id: string) {
  return useInfiniteQuery({
    queryKey: ['case', id, 'timeline'],
    initialPageParam: 0,
    queryFn: ({ pageParam }) => fetchTimelinePage(id, pageParam),
    // A short page is the end for now; live hints append what comes later (api/live.ts).
    getNextPageParam: (last, pages) => ((last.items?.length ?? 0) < TIMELINE_PAGE ? undefined : lastSeqOf(pages)),
  });
}

export function useNotes(id: string) {
  return useQuery({ queryKey: ['case', id, 'notes'], queryFn: () => call(api.GET('/api/v1/cases/{id}/notes', { params: { path: { id } } })) });
}

export function useAttachments(id: string) {
  return useQuery({
    queryKey: ['case', id, 'attachments'],
    queryFn: () => call(api.GET('/api/v1/cases/{id}/attachments', { params: { path: { id } } })),
  });
}

/** Every case type's newest version, for the queue's filters. */
export function useCaseTypes() {
  return useQuery({
    queryKey: ['case-types'],
    queryFn: async () => ((await call(api.GET('/api/v1/case-types'))).items ?? []) as unknown as CaseType[],
    staleTime: 5 * 60_000,
  });
}

/** The exact version of the type a case was opened under: its field labels and status names. */
export function useCaseType(key: string | undefined, version: number | undefined) {
  return useQuery({
    queryKey: ['case-types', key, version],
    enabled: key !== undefined && version !== undefined,
    queryFn: async () =>
      (await call(api.GET('/api/v1/case-types/{key}/versions/{version}', { params: { path: { key: key!, version: String(version) } } }))) as unknown as CaseType,
    staleTime: Infinity,
  });
}

/** Everything on a case page that a write may have changed. */
export function useRefreshCase(id: string) {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: ['case', id] });
}

export type CaseChanges = NonNullable<paths['/api/v1/cases/{id}']['patch']['requestBody']>['content']['application/json'];

/** Changes a case at the version the user saw; a stale version comes back as VERSION_CONFLICT. */
export function useUpdateCase(id: string) {
  const refresh = useRefreshCase(id);
  const client = useQueryClient();
  return useMutation({
    mutationFn: (changes: CaseChanges & { version: number }) => call(api.PATCH('/api/v1/cases/{id}', { params: { path: { id } }, body: changes })),
    onSuccess: (updated: CaseDetail) => client.setQueryData(['case', id], updated),
    // A conflict too: the page then shows the version someone else saved, beside what was typed.
    onSettled: () => void refresh(),
  });
}

export function useAddNote(id: string) {
  const refresh = useRefreshCase(id);
  return useMutation({
    mutationFn: (body: string) => call(api.POST('/api/v1/cases/{id}/notes', { params: { path: { id } }, body: { body } })),
    onSuccess: () => void refresh(),
  });
}

/** The attachment's download address (a plain link: the browser sends the session cookie). */
export const attachmentUrl = (caseId: string, attachmentId: string) => `/api/v1/cases/${caseId}/attachments/${attachmentId}`;

/** Uploads a file as the raw request body with ?filename= (the API's documented form for attachments). */
export function useUpload(id: string) {
  const refresh = useRefreshCase(id);
  return useMutation({
    mutationFn: (file: File) =>
      call(
        api.POST('/api/v1/cases/{id}/attachments', {
          params: { path: { id }, query: { filename: file.name } },
          body: file as never,
          bodySerializer: (body: unknown) => body as File,
          headers: { 'content-type': file.type || 'application/octet-stream' },
        }),
      ),
    onSuccess: () => void refresh(),
  });
}
