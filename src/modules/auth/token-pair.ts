import { AccessTokenService } from './access-token.service';
import { Session } from './session.entity';

export interface TokenPair {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  sessionId: string;
}

/** The answer to a login or refresh: an access token of the session and its new refresh token. */
export async function issueTokenPair(
  accessTokens: AccessTokenService,
  started: { session: Session; refreshToken: string; refreshExpiresIn: number },
): Promise<TokenPair> {
  const { session } = started;
  const access = await accessTokens.issue({
    userId: session.userId,
    sessionId: session.id,
    amr: session.amr,
    authTime: session.authTime,
  });
  return {
    accessToken: access.token,
    expiresIn: access.expiresIn,
    refreshToken: started.refreshToken,
    refreshExpiresIn: started.refreshExpiresIn,
    sessionId: session.id,
  };
}
