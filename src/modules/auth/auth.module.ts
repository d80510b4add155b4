import { Module } from '@nestjs/common';
import { JwksController } from './jwks.controller';
import { SigningKeyRepository } from './signing-key.repository';
import { SigningKeyService } from './signing-key.service';

@Module({
  controllers: [JwksController],
  providers: [SigningKeyRepository, SigningKeyService],
  exports: [SigningKeyService],
})
export class AuthModule {}
