import { DomainError } from '../../../common/errors/domain-error';
import { checkWebhookUrl, WebhookUrlRules } from './webhook-url';

const rules: WebhookUrlRules = { allowedHosts: [], requireHttps: false };

function refusal(url: string, options = rules): string {
  try {
    checkWebhookUrl(url, options);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    const { code, details } = error as DomainError;
    expect(code).toBe('invalid_webhook_url');
    expect(details.errors?.[0].field).toBe('url');
    return details.errors![0].message;
  }
  throw new Error(`${url} was accepted`);
}

describe('checkWebhookUrl', () => {
  it('accepts public http(s) URLs, normalised', () => {
    expect(checkWebhookUrl('https://Hooks.Example.com/a?b=1', rules)).toBe(
      'https://hooks.example.com/a?b=1',
    );
    expect(checkWebhookUrl('http://93.184.216.34:8080/x', rules)).toBe(
      'http://93.184.216.34:8080/x',
    );
  });

  it('refuses what is not an absolute http(s) URL', () => {
    expect(refusal('hooks.example.com/x')).toBe('is not an absolute URL');
    expect(refusal('ftp://hooks.example.com/')).toBe('must use http or https');
    expect(refusal('https://user:pw@hooks.example.com/')).toBe('must not carry credentials');
  });

  it('requires https when asked to (production)', () => {
    expect(refusal('http://hooks.example.com/', { ...rules, requireHttps: true })).toBe(
      'must use https',
    );
  });

  it('refuses private, loopback and link-local literals and localhost', () => {
    expect(refusal('http://127.0.0.1/')).toContain('loopback');
    expect(refusal('http://[::1]:8080/')).toContain('loopback');
    expect(refusal('http://10.1.2.3/')).toContain('private');
    expect(refusal('http://169.254.169.254/latest/meta-data')).toContain('link-local');
    expect(refusal('http://[::ffff:127.0.0.1]/')).toContain('loopback');
    expect(refusal('http://localhost:3000/')).toContain('loopback');
    expect(refusal('http://0.0.0.0/')).toContain('unspecified');
  });

  it('lets allowed hosts through', () => {
    const allowed = { ...rules, allowedHosts: ['127.0.0.1', 'localhost'] };
    expect(checkWebhookUrl('http://127.0.0.1:9000/hook', allowed)).toBe(
      'http://127.0.0.1:9000/hook',
    );
    expect(checkWebhookUrl('http://localhost:9000/hook', allowed)).toBe(
      'http://localhost:9000/hook',
    );
    expect(refusal('http://10.0.0.1/', allowed)).toContain('private');
  });
});
