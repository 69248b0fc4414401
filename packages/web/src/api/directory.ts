import { useQuery } from '@tanstack/react-query';
import { api, call } from './client';
import { useCan } from './session';

/**
 * User names by id, for showing people rather than ids. Only those allowed to list users get
 * names; everyone else sees short ids, which is what the API lets them know.
 */
export function useUserNames(): (id: string | null | undefined) => string {
  const allowed = useCan('user:read');
  const users = useQuery({
    queryKey: ['users'],
    queryFn: () => call(api.GET('/api/v1/users')),
    enabled: allowed,
    staleTime: 5 * 60_000,
  });
  const names = new Map((users.data?.items ?? []).map((u) => [u.id, u.name ?? u.email ?? u.id]));
  return (id) => (id ? (names.get(id) ?? `user ${id.slice(-6)}`) : 'nobody');
}
