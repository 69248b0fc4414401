import { GROUP_SCHEMA, USER_SCHEMA } from './scim-resources.js';

/** The most resources one page of a list holds (`count` above it is lowered to it). */
export const MAX_PAGE = 200;

/** RFC 7643 §5: what this service provider supports. */
export function serviceProviderConfig(base: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE },
    changePassword: { supported: true },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Latch API token',
        description: 'Authorization: Bearer <a Latch API token with the scim:provision scope>',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

/** RFC 7643 §6: the two resource types. */
export function resourceTypes(base: string) {
  return [
    { schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'], id: 'User', name: 'User', endpoint: '/Users', description: 'A Latch account', schema: USER_SCHEMA, meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` } },
    { schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'], id: 'Group', name: 'Group', endpoint: '/Groups', description: 'A group scim.yaml maps to Latch roles and teams', schema: GROUP_SCHEMA, meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` } },
  ];
}

interface Attribute {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'reference' | 'dateTime';
  multiValued: boolean;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  description: string;
  subAttributes?: Attribute[];
  referenceTypes?: string[];
}

const attr = (name: string, type: Attribute['type'], description: string, more: Partial<Attribute> = {}): Attribute => ({
  name,
  type,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  description,
  ...more,
});

const reference = (description: string, to: string[]): Attribute[] => [
  attr('value', 'string', description, { mutability: 'immutable' }),
  attr('display', 'string', 'A name to show', { mutability: 'readOnly' }),
  attr('$ref', 'reference', 'The URI of the resource', { mutability: 'immutable', referenceTypes: to }),
  attr('type', 'string', 'direct, or User', { mutability: 'immutable' }),
];

/** RFC 7643 §7: the attributes Latch keeps, and how (everything else a client sends is ignored). */
export function schemas(base: string) {
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: USER_SCHEMA,
      name: 'User',
      description: 'A Latch account. userName is the email address it signs in with and cannot change; Latch keeps one name.',
      attributes: [
        attr('userName', 'string', 'The email address the account signs in with (lower-cased)', { required: true, uniqueness: 'server', mutability: 'immutable' }),
        attr('externalId', 'string', "The identity provider's id", { caseExact: true }),
        attr('displayName', 'string', "The account's name (else name.formatted, else givenName familyName)"),
        attr('name', 'complex', 'Latch keeps name.formatted only', {
          subAttributes: [attr('formatted', 'string', 'The full name'), attr('givenName', 'string', 'Read on writes only'), attr('familyName', 'string', 'Read on writes only')],
        }),
        attr('emails', 'complex', 'The userName, as the primary work email', { multiValued: true, mutability: 'readOnly' }),
        attr('active', 'boolean', 'false deactivates: every session and token of the account ends at once'),
        attr('password', 'string', 'Sets the password (never returned)', { mutability: 'writeOnly', returned: 'never' }),
        attr('groups', 'complex', 'The groups the account is in', { multiValued: true, mutability: 'readOnly', subAttributes: reference('The group id', ['Group']) }),
      ],
      meta: { resourceType: 'Schema', location: `${base}/Schemas/${USER_SCHEMA}` },
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: GROUP_SCHEMA,
      name: 'Group',
      description: 'A group; scim.yaml names the roles and teams its members get',
      attributes: [
        attr('displayName', 'string', 'The name scim.yaml maps', { required: true, uniqueness: 'server' }),
        attr('externalId', 'string', "The identity provider's id", { caseExact: true }),
        attr('members', 'complex', 'The accounts in the group', { multiValued: true, subAttributes: reference('The user id', ['User']) }),
      ],
      meta: { resourceType: 'Schema', location: `${base}/Schemas/${GROUP_SCHEMA}` },
    },
  ];
}
