import { ApiProperty } from '@nestjs/swagger';
import { LinkedIdentityView } from '../linked-identities.repository';

export class LinkedIdentityDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) provider_id!: string;
  @ApiProperty({ description: "The provider's slug" }) provider!: string;
  @ApiProperty() provider_name!: string;
  @ApiProperty() issuer!: string;
  @ApiProperty({ description: "The provider's `sub` of the person" }) subject!: string;
  @ApiProperty({ nullable: true }) email!: string | null;
  @ApiProperty({ nullable: true }) last_login_at!: string | null;
  @ApiProperty() created_at!: string;
}

export class LinkedIdentityListDto {
  @ApiProperty({ type: [LinkedIdentityDto] }) items!: LinkedIdentityDto[];
}

export function toLinkedIdentityDto(identity: LinkedIdentityView): LinkedIdentityDto {
  return {
    id: identity.id,
    provider_id: identity.providerId,
    provider: identity.providerSlug,
    provider_name: identity.providerName,
    issuer: identity.issuer,
    subject: identity.subject,
    email: identity.email,
    last_login_at: identity.lastLoginAt?.toISOString() ?? null,
    created_at: identity.createdAt.toISOString(),
  };
}
