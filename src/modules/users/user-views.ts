import { AdminUserDto } from './dto/admin-users.dto';
import { User } from './user.entity';

/** An account as the API shows it, to its owner (with their pending address) and to admins. */
export function toUserDto(user: User): AdminUserDto {
  return {
    id: user.id,
    email: user.email,
    email_verified: user.emailVerifiedAt !== null,
    name: user.name,
    phone: user.phone,
    avatar_url: user.avatarUrl,
    timezone: user.timezone,
    locale: user.locale,
    status: user.status,
    last_login_at: user.lastLoginAt?.toISOString() ?? null,
    deletion_due_at: user.deletionDueAt?.toISOString() ?? null,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}
