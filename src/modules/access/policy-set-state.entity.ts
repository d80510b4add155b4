import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row: the version of the whole policy set (roles, grants, policies). Every change bumps
 * it in its own transaction, so versions are taken in commit order and an engine built from a
 * snapshot can say which changes it has seen.
 */
@Entity('policy_set_state')
@Check('CHK_policy_set_state_single_row', `"singleton"`)
export class PolicySetState {
  @PrimaryColumn({ type: 'boolean', default: true })
  singleton!: boolean;

  /** bigint: read as a string by the driver. */
  @Column({ type: 'bigint' })
  version!: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
