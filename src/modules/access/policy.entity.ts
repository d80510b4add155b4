import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';

export const POLICY_EFFECTS = ['allow', 'deny'] as const;
export type PolicyEffect = (typeof POLICY_EFFECTS)[number];

/**
 * An allow or deny rule for subjects doing actions on resources, at a priority, under an
 * optional CEL condition. The patterns and the condition are validated by the engine before
 * they are stored; the database only keeps the shape.
 */
@Entity('policies')
@Index('UQ_policies_name', ['name'], { unique: true })
@Check('CHK_policies_name', `"name" ~ '^[a-z][a-z0-9_-]{0,62}$'`)
@Check('CHK_policies_effect', `"effect" IN ('allow', 'deny')`)
@Check(
  'CHK_policies_targets',
  `cardinality("subjects") > 0 AND cardinality("actions") > 0 AND cardinality("resources") > 0`,
)
export class Policy {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  @Column({ type: 'text' })
  effect!: PolicyEffect;

  @Column({ type: 'integer' })
  priority!: number;

  @Column({ type: 'text', array: true })
  subjects!: string[];

  @Column({ type: 'text', array: true })
  actions!: string[];

  @Column({ type: 'text', array: true })
  resources!: string[];

  /** CEL source over `subject`, `resource`, `action` and `context`. */
  @Column({ type: 'text', nullable: true })
  condition!: string | null;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
