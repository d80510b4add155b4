import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class DecisionDto {
  @ApiProperty()
  allowed!: boolean;

  @ApiProperty({ enum: ['allow', 'deny'] })
  decision!: 'allow' | 'deny';

  @ApiProperty({ description: 'Quote it when reporting or logging this decision.' })
  decision_id!: string;

  @ApiProperty({ description: 'The policy set the decision was computed on.' })
  policy_set_version!: number;

  @ApiProperty({
    description:
      'What decided: the deciding policies (id, name, effect, priority), the role permission, or `default_deny`.',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
  })
  reasons!: object[];

  @ApiPropertyOptional({
    description: 'Conditions that failed to evaluate; their policies did not apply.',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
  })
  diagnostics?: object[];

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
