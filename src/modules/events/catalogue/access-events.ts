import { z } from 'zod';
import { changesOf, defineEvent, id, timestamp } from './event-definition';

/** The version of the policy set the change produced: `min_version` of a later check. */
const policySetVersion = z.int().positive();

const ROLE_FIELDS = {
  name: z.string(),
  description: z.string(),
  permissions: z.array(z.string()),
};

const POLICY_FIELDS = {
  name: z.string(),
  description: z.string(),
  effect: z.enum(['allow', 'deny']),
  priority: z.int(),
  subjects: z.array(z.string()),
  actions: z.array(z.string()),
  resources: z.array(z.string()),
  condition: z.string().nullable(),
  enabled: z.boolean(),
};

/** Roles, policies and grants: every one changes what the decision point answers. */
export const ACCESS_EVENTS = {
  'role.created': defineEvent({
    version: 1,
    description: 'A role was created.',
    data: z.strictObject({ role_id: id, ...ROLE_FIELDS, policy_set_version: policySetVersion }),
  }),
  'role.updated': defineEvent({
    version: 1,
    description:
      'A role changed; a renamed role stays the subject of the policies that named it (`policies_updated`, by name).',
    data: z.strictObject({
      role_id: id,
      name: z.string(),
      changes: changesOf(ROLE_FIELDS),
      policies_updated: z.array(z.string()),
      policy_set_version: policySetVersion,
    }),
  }),
  'role.deleted': defineEvent({
    version: 1,
    description: 'A role was deleted with its grants (`revoked_grants` of them).',
    data: z.strictObject({
      role_id: id,
      ...ROLE_FIELDS,
      revoked_grants: z.int().nonnegative(),
      policy_set_version: policySetVersion,
    }),
  }),
  'policy.created': defineEvent({
    version: 1,
    description: 'A policy was created.',
    data: z.strictObject({
      policy_id: id,
      ...POLICY_FIELDS,
      policy_set_version: policySetVersion,
    }),
  }),
  'policy.updated': defineEvent({
    version: 1,
    description: 'A policy was replaced; the fields that changed.',
    data: z.strictObject({
      policy_id: id,
      name: z.string(),
      changes: changesOf(POLICY_FIELDS),
      policy_set_version: policySetVersion,
    }),
  }),
  'policy.deleted': defineEvent({
    version: 1,
    description: 'A policy was deleted.',
    data: z.strictObject({
      policy_id: id,
      ...POLICY_FIELDS,
      policy_set_version: policySetVersion,
    }),
  }),
  'user.role.granted': defineEvent({
    version: 1,
    description:
      'A role was granted to a user, or an existing grant got a new expiry (then `previous_expires_at` is present).',
    data: z.strictObject({
      user_id: id,
      role_id: id,
      role_name: z.string(),
      expires_at: timestamp.nullable(),
      previous_expires_at: timestamp.nullable().optional(),
      policy_set_version: policySetVersion,
    }),
  }),
  'user.role.revoked': defineEvent({
    version: 1,
    description: 'A role was taken from a user.',
    data: z.strictObject({
      user_id: id,
      role_id: id,
      role_name: z.string(),
      policy_set_version: policySetVersion,
    }),
  }),
};
