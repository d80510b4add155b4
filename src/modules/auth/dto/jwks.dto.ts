import { ApiProperty } from '@nestjs/swagger';

export class JwksDto {
  @ApiProperty({
    description: 'Current, next and recently retired public keys; match a token by its `kid`',
    example: [
      {
        kty: 'EC',
        crv: 'P-256',
        x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
        y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
        kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
        alg: 'ES256',
        use: 'sig',
      },
    ],
  })
  keys!: Record<string, string>[];
}
