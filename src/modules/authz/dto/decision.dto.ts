import { applyDecorators } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiOkResponse, ApiProperty, type SchemaObject } from '@nestjs/swagger';
import type { ConditionDiagnostic, DecisionReason, TraceEntry } from '../engine/decision';

export interface DecisionDto {
  allowed: boolean;
  decision: 'allow' | 'deny';
  decision_id: string;
  policy_set_version: number;
  reasons: DecisionReason[];
  diagnostics?: ConditionDiagnostic[];
  trace?: TraceEntry[];
}

export interface BatchDecisionDto {
  results: DecisionDto[];
}

/**
 * One flat object for the three kinds of reason rather than a `oneOf`: the serializer would
 * otherwise validate every reason against each branch to pick one.
 */
const REASON_SCHEMA: SchemaObject = {
  type: 'object',
  description:
    '`policy`: policy_id, policy_name, effect, priority. `role_permission`: role, permission, ' +
    'effect (allow), priority (0). `default_deny`: nothing else.',
  properties: {
    kind: { type: 'string', enum: ['policy', 'role_permission', 'default_deny'] },
    policy_id: { type: 'string' },
    policy_name: { type: 'string' },
    role: { type: 'string' },
    permission: { type: 'string' },
    effect: { type: 'string', enum: ['allow', 'deny'] },
    priority: { type: 'integer' },
  },
  required: ['kind'],
};

const DIAGNOSTIC_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    policy_id: { type: 'string' },
    policy_name: { type: 'string' },
    error: { type: 'string' },
  },
  required: ['policy_id', 'policy_name', 'error'],
};

const DECISION_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    allowed: { type: 'boolean' },
    decision: { type: 'string', enum: ['allow', 'deny'] },
    decision_id: {
      type: 'string',
      format: 'uuid',
      description: 'Quote it when reporting or logging this decision.',
    },
    policy_set_version: {
      type: 'integer',
      description: 'The policy set the decision was computed on.',
    },
    reasons: {
      type: 'array',
      description: 'What decided: the deciding policies, the role permission, or `default_deny`.',
      items: REASON_SCHEMA,
    },
    diagnostics: {
      type: 'array',
      description: 'Conditions that failed to evaluate; their policies did not apply.',
      items: DIAGNOSTIC_SCHEMA,
    },
    trace: {
      type: 'array',
      description: 'With `?explain=true`: every candidate and why it matched or not.',
      items: { type: 'object', additionalProperties: true },
    },
  },
  required: ['allowed', 'decision', 'decision_id', 'policy_set_version', 'reasons'],
};

const BATCH_DECISION_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    results: { type: 'array', description: 'In the order of the checks.', items: DECISION_SCHEMA },
  },
  required: ['results'],
};

/**
 * The schema of a 200 answer, both documented and handed to Fastify, which serializes the
 * answer by it: faster than JSON.stringify on a batch, and no property outside it can reach a
 * caller.
 */
const okResponse = (schema: SchemaObject) =>
  applyDecorators(
    ApiOkResponse({ schema }),
    RouteSchema({ response: { 200: structuredClone(schema) } }),
  );

export const DecisionResponse = () => okResponse(DECISION_SCHEMA);
export const BatchDecisionResponse = () => okResponse(BATCH_DECISION_SCHEMA);

export class EffectivePermissionsDto {
  @ApiProperty({ type: [String], description: 'Roles held now, `user` included.' })
  roles!: string[];

  @ApiProperty({ type: [String], description: 'The permissions those roles grant.' })
  permissions!: string[];
}
