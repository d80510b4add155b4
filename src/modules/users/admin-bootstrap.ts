import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/**
 * Reads the first administrator's password: prompted twice without echo on a terminal, or the
 * whole of standard input otherwise (one trailing newline removed), so it never appears in
 * argv, the shell history or `ps`.
 */
export async function readNewPassword(
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
): Promise<string> {
  if (!input.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  const first = await promptHidden(input, output, 'Password: ');
  const second = await promptHidden(input, output, 'Repeat password: ');
  if (first !== second) throw new Error('the passwords do not match');
  return first;
}

function promptHidden(
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
  question: string,
): Promise<string> {
  output.write(question);
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input, output: silent, terminal: true });
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close();
      output.write('\n');
      resolve(answer);
    });
  });
}
