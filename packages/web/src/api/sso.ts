import { useQuery } from '@tanstack/react-query';
import { api, call } from './client';

/** Whether the server offers single sign-on, and with which provider (public: asked before anyone logs in). */
export function useSsoOffer() {
  return useQuery({
    queryKey: ['sso-offer'],
    queryFn: () => call(api.GET('/api/v1/auth/sso')),
    staleTime: 5 * 60_000,
  });
}
