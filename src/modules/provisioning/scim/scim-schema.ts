/*
 * The SCIM schemas Gatehouse serves (RFC 7643 §4, §8.7): the attribute definitions that drive
 * everything else here: validation of what clients send, case rules in filters and sorting,
 * which attributes are returned, what PATCH may touch, and the `/Schemas` document.
 */

export const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const CORE_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

export type AttributeType =
  'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';

/** One attribute as RFC 7643 §7 describes it. */
export interface AttributeDefinition {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDefinition[];
}

export interface SchemaDefinition {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDefinition[];
}

type Options = Partial<Omit<AttributeDefinition, 'name' | 'type' | 'description'>>;

function attribute(
  name: string,
  type: AttributeType,
  description: string,
  options: Options = {},
): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
}

const text = (name: string, description: string, options: Options = {}) =>
  attribute(name, 'string', description, options);

/** The sub-attributes RFC 7643 §2.4 gives every multi-valued complex attribute. */
function multiValued(
  name: string,
  description: string,
  types: string[],
  valueType: AttributeType = 'string',
): AttributeDefinition {
  return attribute(name, 'complex', description, {
    multiValued: true,
    subAttributes: [
      attribute('value', valueType, `The ${name} value.`),
      text('display', 'A human-readable name, primarily for display.'),
      text('type', 'A label indicating the function of the value.', { canonicalValues: types }),
      attribute('primary', 'boolean', 'Whether this is the preferred value.'),
    ],
  });
}

/** `id`, `externalId` and `meta`: RFC 7643 §3.1, common to every resource type. */
export const COMMON_ATTRIBUTES: AttributeDefinition[] = [
  text('id', 'Unique identifier of the resource, assigned by the service provider.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  text('externalId', "The provisioning client's identifier of the resource.", {
    caseExact: true,
  }),
  attribute('meta', 'complex', 'Resource metadata.', {
    mutability: 'readOnly',
    subAttributes: [
      text('resourceType', 'The name of the resource type.', {
        caseExact: true,
        mutability: 'readOnly',
      }),
      attribute('created', 'dateTime', 'When the resource was added.', {
        mutability: 'readOnly',
      }),
      attribute('lastModified', 'dateTime', 'When the resource last changed.', {
        mutability: 'readOnly',
      }),
      attribute('location', 'reference', 'The URI of the resource.', {
        caseExact: true,
        mutability: 'readOnly',
      }),
      text('version', 'The version (entity tag) of the resource.', {
        caseExact: true,
        mutability: 'readOnly',
      }),
    ],
  }),
];

export const USER_SCHEMA: SchemaDefinition = {
  id: CORE_USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    text('userName', 'Unique identifier for the User, used to sign in.', {
      required: true,
      uniqueness: 'server',
    }),
    attribute('name', 'complex', "The components of the user's name.", {
      subAttributes: [
        text('formatted', 'The full name, formatted for display.'),
        text('familyName', 'The family name.'),
        text('givenName', 'The given name.'),
        text('middleName', 'The middle name(s).'),
        text('honorificPrefix', 'The honorific prefix(es), e.g. "Ms.".'),
        text('honorificSuffix', 'The honorific suffix(es), e.g. "III".'),
      ],
    }),
    text('displayName', 'The name of the User, suitable for display.'),
    text('nickName', 'The casual way to address the user.'),
    attribute('profileUrl', 'reference', "A URI of the user's online profile.", {
      referenceTypes: ['external'],
    }),
    text('title', "The user's title, such as 'Vice President'."),
    text('userType', 'The relationship between the organization and the user.'),
    text('preferredLanguage', "The user's preferred language (RFC 7231 Accept-Language)."),
    text('locale', "The user's default location (BCP 47)."),
    text('timezone', "The user's time zone (IANA Time Zone database name)."),
    attribute('active', 'boolean', "The user's administrative status: false deprovisions."),
    text('password', "The user's cleartext password, to set it; never returned.", {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    multiValued('emails', 'Email addresses for the user.', ['work', 'home', 'other']),
    multiValued('phoneNumbers', 'Phone numbers for the user.', [
      'work',
      'home',
      'mobile',
      'fax',
      'pager',
      'other',
    ]),
    multiValued('ims', 'Instant messaging addresses for the user.', ['aim', 'xmpp', 'skype']),
    multiValued('photos', 'URLs of photos of the user.', ['photo', 'thumbnail'], 'reference'),
    attribute('addresses', 'complex', 'Physical mailing addresses for this user.', {
      multiValued: true,
      subAttributes: [
        text('formatted', 'The full mailing address.'),
        text('streetAddress', 'The street address.'),
        text('locality', 'The city or locality.'),
        text('region', 'The state or region.'),
        text('postalCode', 'The zip code or postal code.'),
        text('country', 'The country name (ISO 3166-1 alpha-2).'),
        text('type', 'A label indicating the function of the address.', {
          canonicalValues: ['work', 'home', 'other'],
        }),
        attribute('primary', 'boolean', 'Whether this is the preferred address.'),
      ],
    }),
    attribute('groups', 'complex', 'The groups the user belongs to; changed through Groups.', {
      multiValued: true,
      mutability: 'readOnly',
      subAttributes: [
        text('value', 'The id of the Group.', { mutability: 'readOnly' }),
        attribute('$ref', 'reference', 'The URI of the Group.', {
          mutability: 'readOnly',
          referenceTypes: ['Group'],
        }),
        text('display', 'The displayName of the Group.', { mutability: 'readOnly' }),
        text('type', 'direct or indirect membership.', {
          mutability: 'readOnly',
          canonicalValues: ['direct', 'indirect'],
        }),
      ],
    }),
    multiValued('entitlements', 'Entitlements of the user.', []),
    multiValued('roles', 'Roles of the user in the provisioning domain.', []),
  ],
};

export const ENTERPRISE_USER_SCHEMA_DEFINITION: SchemaDefinition = {
  id: ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    text('employeeNumber', 'A string identifier of the user in the organization.'),
    text('costCenter', 'The name of a cost center.'),
    text('organization', 'The name of an organization.'),
    text('division', 'The name of a division.'),
    text('department', 'The name of a department.'),
    attribute('manager', 'complex', "The user's manager.", {
      subAttributes: [
        text('value', 'The id of the SCIM resource of the manager.', { caseExact: true }),
        attribute('$ref', 'reference', 'The URI of the manager.', {
          mutability: 'readOnly',
          referenceTypes: ['User'],
        }),
        text('displayName', 'The displayName of the manager.', { mutability: 'readOnly' }),
      ],
    }),
  ],
};

export const GROUP_SCHEMA: SchemaDefinition = {
  id: CORE_GROUP_SCHEMA,
  name: 'Group',
  description: 'Group: a Gatehouse role; its members hold the role.',
  attributes: [
    text('displayName', 'A human-readable name for the Group.', {
      required: true,
      uniqueness: 'server',
    }),
    attribute('members', 'complex', 'The members of the Group (Users).', {
      multiValued: true,
      subAttributes: [
        text('value', 'The id of the member User.', { caseExact: true, mutability: 'immutable' }),
        attribute('$ref', 'reference', 'The URI of the member.', {
          mutability: 'immutable',
          referenceTypes: ['User'],
        }),
        text('display', 'The displayName of the member.', { mutability: 'readOnly' }),
        text('type', 'The type of the member.', {
          mutability: 'immutable',
          canonicalValues: ['User'],
        }),
      ],
    }),
  ],
};

/** A resource type (RFC 7643 §6): its endpoint, core schema and extensions. */
export interface ResourceTypeDefinition {
  name: 'User' | 'Group';
  endpoint: '/Users' | '/Groups';
  description: string;
  schema: SchemaDefinition;
  extensions: SchemaDefinition[];
}

export const USER_RESOURCE: ResourceTypeDefinition = {
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  schema: USER_SCHEMA,
  extensions: [ENTERPRISE_USER_SCHEMA_DEFINITION],
};

export const GROUP_RESOURCE: ResourceTypeDefinition = {
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  schema: GROUP_SCHEMA,
  extensions: [],
};

export const RESOURCE_TYPES = [USER_RESOURCE, GROUP_RESOURCE];
export const SCHEMAS = [USER_SCHEMA, ENTERPRISE_USER_SCHEMA_DEFINITION, GROUP_SCHEMA];

/** Finds a definition by name, as SCIM compares names: case-insensitively. */
export function findAttribute(
  attributes: readonly AttributeDefinition[] | undefined,
  name: string,
): AttributeDefinition | undefined {
  const lower = name.toLowerCase();
  return attributes?.find((a) => a.name.toLowerCase() === lower);
}
