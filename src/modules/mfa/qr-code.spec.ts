import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { otpauthUri } from './otpauth-uri';
import { qrCodeDataUrl } from './qr-code';

const PREFIX = 'data:image/png;base64,';

/** What a phone camera reads from the data URL. */
function scan(dataUrl: string): string | undefined {
  expect(dataUrl.startsWith(PREFIX)).toBe(true);
  const png = PNG.sync.read(Buffer.from(dataUrl.slice(PREFIX.length), 'base64'));
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

describe('qrCodeDataUrl', () => {
  const secret = Buffer.from('12345678901234567890', 'ascii');

  it.each([
    ['Gatehouse', 'ada@example.com'],
    ['Ümlaut & Co', 'José Ñúñez+tag@exämple.com'],
  ])('scans back to the exact otpauth URI (%s, %s)', async (issuer, account) => {
    const uri = otpauthUri({ issuer, account, secret });
    expect(scan(await qrCodeDataUrl(uri))).toBe(uri);
  });

  it('scans back with a 64-byte secret', async () => {
    const uri = otpauthUri({ issuer: 'Gatehouse', account: 'ada', secret: Buffer.alloc(64, 7) });
    expect(scan(await qrCodeDataUrl(uri))).toBe(uri);
  });
});
