import { ProbeModule } from './support/probe.module';
import { startTestApp } from './support/test-app';

describe('graceful shutdown', () => {
  it('finishes a request in flight when the application closes', async () => {
    const t = await startTestApp({ extraModules: [ProbeModule] });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.getHttpServer().address() as { port: number };
    const inFlight = fetch(`http://127.0.0.1:${address.port}/probe/slow`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = t.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('close');
    expect(await res.json()).toEqual({ done: true });
    await closing;
    await expect(fetch(`http://127.0.0.1:${address.port}/health/live`)).rejects.toThrow();
  });
});
