import { toDataURL } from 'qrcode';

/**
 * A QR code of `text` as a PNG data URL, for an <img> on the page where a user enrols an
 * authenticator app, so the secret it carries goes only to that user's browser, not to a
 * third-party QR service. Error correction level M (15% of the code may be damaged or glared)
 * and the four-module quiet zone the QR standard requires, which phone cameras rely on to find
 * the code on a busy page.
 */
export function qrCodeDataUrl(text: string): Promise<string> {
  return toDataURL(text, { type: 'image/png', errorCorrectionLevel: 'M', margin: 4 });
}
