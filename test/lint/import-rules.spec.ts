import { ESLint } from 'eslint';
import { join } from 'node:path';

/**
 * The import rules of eslint.config.mjs, run by ESLint itself on source text placed at paths of the tree (the text
 * replaces the file for this lint only; the files it imports are read from disk).
 */
describe('import rules (eslint.config.mjs)', () => {
  const root = join(__dirname, '..', '..');
  const eslint = new ESLint({ cwd: root });

  async function importErrors(path: string, code: string): Promise<Array<{ rule: string | null; message: string }>> {
    const [result] = await eslint.lintText(code, { filePath: join(root, path) });
    return result.messages.filter((message) => message.ruleId?.startsWith('import-x/') || message.fatal).map(({ ruleId, message }) => ({ rule: ruleId, message }));
  }

  it('reports an import cycle through a relative path', async () => {
    const errors = await importErrors('libs/contracts/src/ids.ts', "import { redisKeys } from './index';\nexport const keys = redisKeys;\n");
    expect(errors).toEqual([{ rule: 'import-x/no-cycle', message: expect.stringMatching(/cycle/i) }]);
  });

  it('reports an import cycle through an @app/* path (resolved by the TypeScript resolver)', async () => {
    const errors = await importErrors('libs/contracts/src/ids.ts', "import { redisKeys } from '@app/contracts';\nexport const keys = redisKeys;\n");
    expect(errors).toEqual([{ rule: 'import-x/no-cycle', message: expect.stringMatching(/cycle/i) }]);
  });

  it.each([
    ['apps/auth/src/lint-fixture.ts', "import '../../gateway/src/main';\n"],
    ['apps/gateway/src/realtime/lint-fixture.ts', "import '../../../auth/src/main';\n"],
  ])('refuses an import from another app (%s)', async (path, code) => {
    expect(await importErrors(path, code)).toEqual([
      { rule: 'import-x/no-restricted-paths', message: expect.stringContaining('Apps never import each other') },
    ]);
  });

  it.each([
    ['libs/sessions/src/lint-fixture.ts', "import '../../../apps/auth/src/main';\n"],
    ['libs/client/src/lint-fixture.ts', "import '../../../apps/gateway/src/sockets/socket-types';\n"],
  ])('refuses an import of an app from a library (%s)', async (path, code) => {
    expect(await importErrors(path, code)).toEqual([{ rule: 'import-x/no-restricted-paths', message: expect.stringContaining('Libraries never import apps') }]);
  });

  it("refuses an import of a higher folder of the same app (the gateway's socket types are a leaf)", async () => {
    const errors = await importErrors('apps/gateway/src/sockets/lint-fixture.ts', "import { RealtimeModule } from '../realtime/realtime.module';\nexport const m = RealtimeModule;\n");
    expect(errors).toEqual([{ rule: 'import-x/no-restricted-paths', message: expect.stringContaining('apps/gateway/src/sockets is below') }]);
  });

  it("refuses an import of a higher folder of the server package (its sockets are below the handshake)", async () => {
    const errors = await importErrors('libs/server/src/sockets/lint-fixture.ts', "import { HandshakeAuthenticator } from '../handshake/handshake-authenticator';\nexport const h = HandshakeAuthenticator;\n");
    expect(errors).toEqual([{ rule: 'import-x/no-restricted-paths', message: expect.stringContaining('libs/server/src/sockets is below') }]);
  });

  it('accepts imports down the layers, of libraries, and of an app from the tests', async () => {
    expect(
      await importErrors(
        'apps/gateway/src/realtime/lint-fixture.ts',
        "import { redisKeys } from '@app/contracts';\nimport { chatRoom } from '../sockets/socket-types';\nexport const used = [redisKeys, chatRoom];\n",
      ),
    ).toEqual([]);
    expect(await importErrors('test/support/lint-fixture.ts', "import { AuthAppModule } from '../../apps/auth/src/auth-app.module';\nexport const m = AuthAppModule;\n")).toEqual([]);
  });
});
