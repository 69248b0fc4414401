import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, call } from './client';
import type { paths } from './schema';

export type NotificationItem = NonNullable<paths['/api/v1/notifications']['get']['responses']['200']['content']['application/json']['items']>[number];
export type Preferences = paths['/api/v1/me/notification-preferences']['get']['responses']['200']['content']['application/json'];
export type PreferenceChanges = paths['/api/v1/me/notification-preferences']['put']['requestBody']['content']['application/json'];
export type Delivery = NonNullable<paths['/api/v1/notifications/deliveries']['get']['responses']['200']['content']['application/json']['items']>[number];

const PAGE = 50;

/** My notifications, newest first, a page at a time. */
export function useNotifications() {
  return useInfiniteQuery({
    queryKey: ['notifications', 'list'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => call(api.GET('/api/v1/notifications', { params: { query: { limit: String(PAGE), ...(pageParam ? { before: pageParam } : {}) } } })),
    getNextPageParam: (page) => page.next ?? undefined,
  });
}

/** The bell's number. */
export function useUnreadCount() {
  return useQuery({ queryKey: ['notifications', 'count'], queryFn: async () => (await call(api.GET('/api/v1/notifications/count'))).unread ?? 0 });
}

/** Marks some (`ids`) or all of my notifications read. */
export function useMarkRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { ids: string[] } | { all: true }) => call(api.POST('/api/v1/notifications/read', { body })),
    onSettled: () => client.invalidateQueries({ queryKey: ['notifications'] }),
  });
}

export function usePreferences() {
  return useQuery({ queryKey: ['notification-preferences'], queryFn: () => call(api.GET('/api/v1/me/notification-preferences')) });
}

export function useSavePreferences() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: PreferenceChanges) => call(api.PUT('/api/v1/me/notification-preferences', { body })),
    onSuccess: (saved) => client.setQueryData(['notification-preferences'], saved),
  });
}

/** The delivery log (user managers). */
export function useDeliveries(status: string | undefined) {
  return useQuery({
    queryKey: ['notification-deliveries', status ?? 'all'],
    queryFn: () => call(api.GET('/api/v1/notifications/deliveries', { params: { query: { limit: '200', ...(status ? { status: status as Delivery['status'] } : {}) } } })),
  });
}

/**
 * Keeps the bell current: GET /api/v1/notifications/live says only "your unread count may have
 * changed" (server-sent events; the browser reconnects by itself), and the count and list refetch.
 */
export function useNotificationsLive(): void {
  const client = useQueryClient();
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/v1/notifications/live');
    let timer: ReturnType<typeof setTimeout> | undefined;
    source.onmessage = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        void client.invalidateQueries({ queryKey: ['notifications'] });
      }, 100);
    };
    return () => {
      source.close();
      clearTimeout(timer);
    };
  }, [client]);
}
