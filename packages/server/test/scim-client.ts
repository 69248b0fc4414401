/**
 * A SCIM 2.0 client written from RFC 7644, sending what Okta and Entra ID send (their documented
 * request shapes), over real HTTP. No npm SCIM client fits: those published are server libraries or
 * tied to one vendor's server (scim-node is Gluu's UMA client).
 */
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export interface ScimResponse {
  status: number;
  contentType: string;
  location: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- SCIM resources are open-ended JSON
  body: any;
}

export class ScimClient {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  async request(method: string, path: string, body?: unknown, raw?: string): Promise<ScimResponse> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, accept: 'application/scim+json', ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/scim+json; charset=utf-8' } : {}) },
      ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', location: res.headers.get('location'), body: text === '' ? undefined : JSON.parse(text) };
  }

  /** How both look a user up before creating one: `filter=userName eq "…"`. */
  findByUserName(userName: string) {
    return this.request('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`);
  }

  /** Okta's POST /Users. */
  oktaCreateUser(email: string, givenName: string, familyName: string, extra: Record<string, unknown> = {}) {
    return this.request('POST', '/Users', {
      schemas: [USER],
      userName: email,
      name: { givenName, familyName },
      emails: [{ primary: true, value: email, type: 'work' }],
      displayName: `${givenName} ${familyName}`,
      locale: 'en-US',
      externalId: `00u${Math.random().toString(36).slice(2, 12)}`,
      groups: [],
      active: true,
      ...extra,
    });
  }

  /** Okta's profile push: PUT the whole user. */
  oktaReplaceUser(id: string, resource: Record<string, unknown>) {
    return this.request('PUT', `/Users/${id}`, resource);
  }

  /** Okta deactivates (and reactivates) with a path-less replace. */
  oktaSetActive(id: string, active: boolean) {
    return this.request('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active } }] });
  }

  /** Entra ID's POST /Users (externalId is the mailNickname or objectId). */
  entraCreateUser(upn: string, displayName: string, externalId: string) {
    return this.request('POST', '/Users', {
      schemas: [USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      externalId,
      userName: upn,
      active: true,
      addresses: [{ primary: true, type: 'work', country: 'NZ' }],
      displayName,
      emails: [{ primary: true, type: 'work', value: upn }],
      name: { familyName: displayName.split(' ')[1], givenName: displayName.split(' ')[0], formatted: displayName },
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Finance' },
    });
  }

  /** Entra ID's updates: capitalised ops, one path each (and "False" as text, as older tenants send). */
  entraPatchUser(id: string, operations: { op: 'Add' | 'Replace' | 'Remove'; path?: string; value?: unknown }[]) {
    return this.request('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: operations });
  }

  createGroup(displayName: string, memberIds: string[] = []) {
    return this.request('POST', '/Groups', { schemas: [GROUP], displayName, members: memberIds.map((value) => ({ value })) });
  }

  /** Okta's group push: add members with a path, remove one by filter. */
  oktaAddMembers(groupId: string, memberIds: string[]) {
    return this.request('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: memberIds.map((value) => ({ value, display: value })) }] });
  }

  oktaRemoveMember(groupId: string, memberId: string) {
    return this.request('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${memberId}"]` }] });
  }

  /** Entra ID removes members with a value list. */
  entraRemoveMembers(groupId: string, memberIds: string[]) {
    return this.request('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: memberIds.map((value) => ({ value })) }] });
  }

  /** Entra ID checks one membership this way before changing it. */
  entraIsMember(groupId: string, userId: string) {
    return this.request('GET', `/Groups?filter=${encodeURIComponent(`id eq "${groupId}" and members[value eq "${userId}"]`)}&excludedAttributes=members`);
  }
}
