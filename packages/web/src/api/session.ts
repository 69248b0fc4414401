import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, api, call, setCsrfToken } from './client';
import type { Me } from './types';

export const meKey = ['me'] as const;

/** Who is logged in; `null` when no one is (a 401 is an answer here, not an error). */
export function useMe() {
  return useQuery({
    queryKey: meKey,
    queryFn: async (): Promise<Me | null> => {
      try {
        const me = await call(api.GET('/api/v1/me'));
        setCsrfToken(me.csrfToken);
        return me;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (credentials: { email: string; password: string }) => {
      const session = await call(api.POST('/api/v1/auth/login', { body: credentials }));
      setCsrfToken(session.csrfToken);
      return session;
    },
    onSuccess: async () => {
      client.clear();
      await client.invalidateQueries({ queryKey: meKey });
    },
  });
}

export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.POST('/api/v1/auth/logout')),
    onSettled: () => {
      setCsrfToken(undefined);
      client.clear();
      client.setQueryData(meKey, null);
    },
  });
}

/** Whether the logged-in user holds a permission (the server checks again; this only hides what would be refused). */
export function useCan(permission: string): boolean {
  const me = useMe().data;
  return me?.permissions?.includes(permission) ?? false;
}
