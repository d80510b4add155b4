import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/** A password that cannot be taken as typed: the message says what to do instead. */
export class PasswordInputError extends Error {}

/**
 * Reads the first administrator's password: prompted twice without echo on a terminal, or the
 * whole of standard input otherwise (one trailing newline removed), so it never appears in
 * argv, the shell history or `ps`. Piped input with a line break left in it is refused: it is
 * most often the password piped twice, as the prompts ask for it, and a password holding a line
 * break is one no sign-in form can type.
 */
export async function readNewPassword(
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
): Promise<string> {
  if (!input.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
    const password = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
    if (/[\r\n]/.test(password)) {
      throw new PasswordInputError(
        'the piped password contains a line break: pipe the password once, on one line ' +
          '(only a final newline is dropped)',
      );
    }
    return password;
  }
  const first = await promptHidden(input, output, 'Password: ');
  const second = await promptHidden(input, output, 'Repeat password: ');
  if (first !== second) throw new PasswordInputError('the passwords do not match');
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
