import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from './client';
import type { paths } from './schema';

export type NewWebhook = NonNullable<paths['/api/v1/webhooks']['post']['requestBody']>['content']['application/json'];
export type WebhookDelivery = NonNullable<paths['/api/v1/webhooks/{id}/deliveries']['get']['responses']['200']['content']['application/json']['items']>[number];

/** Webhook endpoints (admins), never their secrets. */
export function useWebhooks() {
  return useQuery({ queryKey: ['webhooks'], queryFn: () => call(api.GET('/api/v1/webhooks')) });
}

/** Adds an endpoint; the answer holds its secret, shown once. */
export function useCreateWebhook() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NewWebhook) => call(api.POST('/api/v1/webhooks', { body })),
    onSettled: () => client.invalidateQueries({ queryKey: ['webhooks'] }),
  });
}

export function useSetWebhookEnabled() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, enabled }: { id: string; enabled: boolean }) => call(api.PATCH('/api/v1/webhooks/{id}', { params: { path: { id } }, body: { enabled } })),
    onSettled: () => client.invalidateQueries({ queryKey: ['webhooks'] }),
  });
}

export function useDeleteWebhook() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => call(api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ['webhooks'] }),
  });
}

/** One endpoint's delivery log, newest first; polled while something is still on its way. */
export function useWebhookDeliveries(endpointId: string | undefined) {
  return useQuery({
    queryKey: ['webhook-deliveries', endpointId],
    enabled: endpointId !== undefined,
    queryFn: () => call(api.GET('/api/v1/webhooks/{id}/deliveries', { params: { path: { id: endpointId! }, query: { limit: '100' } } })),
    // While open, the log follows new deliveries too (every 5 s; every 2 s while one is being attempted).
    refetchInterval: (query) => (query.state.data?.items?.some((d) => d.status === 'pending' || d.status === 'retrying') ? 2000 : 5000),
  });
}

export function useReplayDelivery() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => call(api.POST('/api/v1/webhooks/deliveries/{id}/replay', { params: { path: { id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ['webhook-deliveries'] }),
  });
}
