import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ConditionDiagnostic, DecisionReason } from '../engine/decision';

/** One shape for the three kinds of reason; each kind carries the fields named for it. */
export class DecisionReasonDto {
  @ApiProperty({ enum: ['policy', 'role_permission', 'default_deny'] })
  kind!: DecisionReason['kind'];

  @ApiPropertyOptional({ description: 'Kind `policy`.' })
  policy_id?: string;

  @ApiPropertyOptional({ description: 'Kind `policy`.' })
  policy_name?: string;

  @ApiPropertyOptional({ description: 'Kind `role_permission`.' })
  role?: string;

  @ApiPropertyOptional({ description: 'Kind `role_permission`.' })
  permission?: string;

  @ApiPropertyOptional({
    enum: ['allow', 'deny'],
    description: 'Kinds `policy` and `role_permission` (always `allow`).',
  })
  effect?: 'allow' | 'deny';

  @ApiPropertyOptional({
    type: 'integer',
    description: 'Kinds `policy` and `role_permission` (always 0).',
  })
  priority?: number;
}

export class ConditionDiagnosticDto {
  @ApiProperty()
  policy_id!: string;

  @ApiProperty()
  policy_name!: string;

  @ApiProperty({ description: 'Why the condition could not be evaluated.' })
  error!: string;
}

export class DecisionDto {
  @ApiProperty()
  allowed!: boolean;

  @ApiProperty({ enum: ['allow', 'deny'] })
  decision!: 'allow' | 'deny';

  @ApiProperty({ format: 'uuid', description: 'Quote it when reporting or logging this decision.' })
  decision_id!: string;

  @ApiProperty({ type: 'integer', description: 'The policy set the decision was computed on.' })
  policy_set_version!: number;

  @ApiProperty({
    type: [DecisionReasonDto],
    description: 'What decided: the deciding policies, the role permission, or `default_deny`.',
  })
  reasons!: DecisionReason[];

  @ApiPropertyOptional({
    type: [ConditionDiagnosticDto],
    description: 'Conditions that failed to evaluate; their policies did not apply.',
  })
  diagnostics?: ConditionDiagnostic[];

  @ApiPropertyOptional({
    description: 'With `?explain=true`: every candidate and why it matched or not.',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
  })
  trace?: object[];
}

export class BatchDecisionDto {
  @ApiProperty({ type: [DecisionDto], description: 'In the order of the checks.' })
  results!: DecisionDto[];
}

export class EffectivePermissionsDto {
  @ApiProperty({ type: [String], description: 'Roles held now, `user` included.' })
  roles!: string[];

  @ApiProperty({ type: [String], description: 'The permissions those roles grant.' })
  permissions!: string[];
}
