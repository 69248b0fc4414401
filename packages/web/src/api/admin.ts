import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from './client';
import type { paths } from './schema';

type Body<P extends keyof paths, M extends 'post' | 'patch'> = NonNullable<NonNullable<paths[P][M]>['requestBody']>['content']['application/json'];
export type NewUser = Body<'/api/v1/users', 'post'>;
export type UserChanges = Body<'/api/v1/users/{id}', 'patch'>;
export type NewToken = Body<'/api/v1/tokens', 'post'>;
export type NewDelegation = Body<'/api/v1/delegations', 'post'>;

/** Every account (the same query the name directory uses, so both stay in step). */
export function useUsers(enabled = true) {
  return useQuery({ queryKey: ['users'], enabled, queryFn: () => call(api.GET('/api/v1/users')) });
}

/** The deployment's roles (roles.yaml) with their descriptions and permissions, the role-set version, and warnings. */
export function useRoles() {
  return useQuery({ queryKey: ['roles'], queryFn: () => call(api.GET('/api/v1/roles')), staleTime: 60_000 });
}

export function useCreateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NewUser) => call(api.POST('/api/v1/users', { body })),
    onSettled: () => client.invalidateQueries({ queryKey: ['users'] }),
  });
}

/** Name, roles, teams, disabled, or a new password (which ends that user's sessions and tokens). */
export function useUpdateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, changes }: { id: string; changes: UserChanges }) => call(api.PATCH('/api/v1/users/{id}', { params: { path: { id } }, body: changes })),
    onSettled: () => client.invalidateQueries({ queryKey: ['users'] }),
  });
}

export function useTokens() {
  return useQuery({ queryKey: ['tokens'], queryFn: () => call(api.GET('/api/v1/tokens')) });
}

/** Creates a token; its secret is in this answer only, so the screen shows it once and never again. */
export function useCreateToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NewToken) => call(api.POST('/api/v1/tokens', { body })),
    onSettled: () => client.invalidateQueries({ queryKey: ['tokens'] }),
  });
}

export function useRevokeToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => call(api.DELETE('/api/v1/tokens/{id}', { params: { path: { id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ['tokens'] }),
  });
}

export function useDelegations() {
  return useQuery({ queryKey: ['delegations'], queryFn: () => call(api.GET('/api/v1/delegations')) });
}

export function useCreateDelegation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: NewDelegation) => call(api.POST('/api/v1/delegations', { body })),
    onSettled: () => client.invalidateQueries({ queryKey: ['delegations'] }),
  });
}

export function useRevokeDelegation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => call(api.DELETE('/api/v1/delegations/{id}', { params: { path: { id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ['delegations'] }),
  });
}

/** The configured plugins with their manifests and health; refreshed while the page is open. */
export function usePlugins() {
  return useQuery({ queryKey: ['plugins'], queryFn: () => call(api.GET('/api/v1/plugins')), refetchInterval: 15_000 });
}

/** A case type's versions (each a file under config/case-types). */
export function useCaseTypeVersions(key: string | undefined) {
  return useQuery({
    queryKey: ['case-types', key, 'versions'],
    enabled: key !== undefined,
    queryFn: () => call(api.GET('/api/v1/case-types/{key}', { params: { path: { key: key! } } })),
    staleTime: 5 * 60_000,
  });
}
