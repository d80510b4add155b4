import { z } from 'zod';
import { defineEvent, id } from './event-definition';

const clientId = z.string().max(100);
/** Names of SCIM attributes (`title`, `urn:…:enterprise:2.0:User:department`), never values. */
const attributes = z.array(z.string().max(200));

const sourceId = id;
const authMode = z.enum(['signature', 'api_key']);

/**
 * SCIM 2.0 provisioning: resources a provisioning client created, changed or deleted. The
 * account's own changes (`user.created`, `user.updated`, `user.deactivated`…) and the grants of
 * group roles (`user.role.*`) are told by their modules as well; these say what the client did.
 */
export const PROVISIONING_EVENTS = {
  'scim.user.created': defineEvent({
    version: 1,
    description: 'A provisioning client created a SCIM User, and with it the account `user_id`.',
    data: z.strictObject({ user_id: id, client_id: clientId }),
  }),
  'scim.user.updated': defineEvent({
    version: 1,
    description:
      'A provisioning client changed a SCIM User (PUT or PATCH): the names of the attributes that changed.',
    data: z.strictObject({ user_id: id, client_id: clientId, attributes }),
  }),
  'scim.user.deleted': defineEvent({
    version: 1,
    description:
      'A provisioning client deleted a SCIM User: the account was deprovisioned (suspended or deactivated, as configured) and left its groups.',
    data: z.strictObject({ user_id: id, client_id: clientId }),
  }),
  'scim.group.created': defineEvent({
    version: 1,
    description: 'A provisioning client created a SCIM Group, and with it the role `group_id`.',
    data: z.strictObject({ group_id: id, client_id: clientId, role_name: z.string() }),
  }),
  'scim.group.updated': defineEvent({
    version: 1,
    description:
      'A provisioning client changed a SCIM Group: its attributes, and how many members it gained and lost (each a grant or revocation of the role).',
    data: z.strictObject({
      group_id: id,
      client_id: clientId,
      attributes,
      members_added: z.number().int().min(0),
      members_removed: z.number().int().min(0),
    }),
  }),
  'scim.group.deleted': defineEvent({
    version: 1,
    description: 'A provisioning client deleted a SCIM Group, and with it its role and grants.',
    data: z.strictObject({ group_id: id, client_id: clientId }),
  }),
  'hr.source.created': defineEvent({
    version: 1,
    description:
      'An administrator registered an HR source: how its deliveries authenticate, its rate limit and the roles its Okta groups map to (never its credential).',
    data: z.strictObject({
      source_id: sourceId,
      source_name: z.string(),
      auth_mode: authMode,
      rate_limit_per_minute: z.number().int().min(1),
      role_mappings: z.record(z.string(), z.string()),
    }),
  }),
  'hr.source.deleted': defineEvent({
    version: 1,
    description: 'An administrator removed an HR source, and with it its enrichments.',
    data: z.strictObject({ source_id: sourceId }),
  }),
  'hr.employee.onboarded': defineEvent({
    version: 1,
    description:
      "A new hire was enriched from Okta and linked to the account `user_id` (invited if it did not exist): how many groups and applications it has, and the roles granted through the source's mappings.",
    data: z.strictObject({
      enrichment_id: id,
      source_id: sourceId,
      user_id: id,
      groups: z.number().int().min(0),
      applications: z.number().int().min(0),
      roles: z.array(z.string()),
    }),
  }),
  'hr.employee.enrichment_failed': defineEvent({
    version: 1,
    description:
      'A new hire could not be enriched: not found in Okta, refused by it, or Okta still failing after the retries (`reason`).',
    data: z.strictObject({ enrichment_id: id, source_id: sourceId, reason: z.string().max(1000) }),
  }),
};
