import { Injectable } from '@nestjs/common';
import type { TokenEndpointResponse } from 'openid-client';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { FieldVault, SealedSecret } from '../../common/crypto/field-vault';

const HASH_PURPOSE = 'token vault offline token';
/** The vault's purpose, bound into every envelope (with the record, user and provider). */
export const OFFLINE_TOKENS_PURPOSE = 'offline_tokens';

/** Whose token a record holds: the envelope is bound to all three. */
export interface TokenOwner {
  recordId: string;
  userId: string;
  providerId: string;
}

/**
 * Offline tokens at rest: AES-256-GCM envelopes (FieldVault) bound to the record, its user and
 * its provider, so an envelope copied to another row, user or provider does not open; and a
 * keyed hash of each token (HMAC under a key derived from the master key), by which the same
 * token stored twice is found without opening anything.
 */
@Injectable()
export class OfflineTokenVault {
  private readonly vault: FieldVault;

  constructor(private readonly cipher: EnvelopeCipher) {
    this.vault = new FieldVault(cipher, OFFLINE_TOKENS_PURPOSE);
  }

  seal(owner: TokenOwner, token: string): SealedSecret & { tokenHash: Buffer } {
    return { ...this.vault.seal(owner.recordId, field(owner), token), tokenHash: this.hash(token) };
  }

  open(owner: TokenOwner, envelope: string): string {
    return this.vault.open(owner.recordId, field(owner), envelope);
  }

  /** An access token minted from the record, kept for the requests that waited on its trip. */
  sealAccessToken(owner: TokenOwner, value: string): string {
    return this.vault.seal(owner.recordId, accessTokenField(owner.userId, owner.providerId), value)
      .envelope;
  }

  openAccessToken(owner: TokenOwner, envelope: string): string {
    return this.vault.open(
      owner.recordId,
      accessTokenField(owner.userId, owner.providerId),
      envelope,
    );
  }

  hash(token: string): Buffer {
    return this.cipher.keyedHash(HASH_PURPOSE, token);
  }
}

/**
 * When the provider says the offline token expires (`refresh_expires_in`); null when it does not
 * say, or answers 0 as Keycloak's offline tokens may (EXTERNAL-CONTRACTS §4: not relied on).
 */
export function offlineTokenExpiry(response: TokenEndpointResponse, now: Date): Date | null {
  const seconds = Number(response.refresh_expires_in);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(now.getTime() + seconds * 1000) : null;
}

function field(owner: TokenOwner): string {
  return offlineTokenField(owner.userId, owner.providerId);
}

/** The field an offline token is sealed as: bound to its user and provider. */
export function offlineTokenField(userId: string, providerId: string): string {
  return `offline_token:${userId}:${providerId}`;
}

/** The field a record's shared access token is sealed as: bound to its user and provider. */
export function accessTokenField(userId: string, providerId: string): string {
  return `access_token:${userId}:${providerId}`;
}
