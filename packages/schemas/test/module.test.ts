import { unzipSync } from 'fflate';
import { describe, expect, it, vi } from 'vitest';
import { moduleYamlFiles, verifiedGoEnv } from '../src/crd.mjs';
import { REAL_MODULE, realZip, rejection, tamperedZip, withGoProxies } from './go-proxy.ts';

const { module, version } = REAL_MODULE;
const CRD_FILE = 'prometheus-operator-0prometheusCustomResourceDefinition.yaml';

describe('verifiedGoEnv', () => {
  it('turns the checksum database on for every module, whatever the environment says', () => {
    const env = verifiedGoEnv('https://proxy.example.com', '/cache', {
      PATH: '/bin',
      GOSUMDB: 'off',
      GONOSUMDB: 'github.com/yannh',
      GONOSUMCHECK: '1',
      GOPRIVATE: 'github.com',
      GONOPROXY: 'github.com',
      GOINSECURE: 'github.com',
      GOFLAGS: '-insecure',
    });
    expect(env).toStrictEqual({
      PATH: '/bin',
      GOENV: 'off',
      GOPROXY: 'https://proxy.example.com',
      GOSUMDB: 'sum.golang.org',
      GOFLAGS: '-modcacherw',
      GO111MODULE: 'on',
      GOWORK: 'off',
      GOTOOLCHAIN: 'local',
      GOMODCACHE: '/cache',
    });
    // Another database (a mirror, or one with its own key) is still a database.
    expect(verifiedGoEnv('https://p', undefined, { GOSUMDB: 'sum.golang.google.cn' }).GOSUMDB).toBe('sum.golang.google.cn');
  });
});

describe("a Go module's YAML, checked against the checksum database by go", () => {
  const { serve, go } = withGoProxies();

  it('reads a real module from the proxy once its zip matches what sum.golang.org records', { timeout: 60_000 }, async () => {
    const proxy = await serve();
    const files = await moduleYamlFiles(module, version, 'scripts/fixtures', { proxy: proxy.url, modCache: go().modCache });
    expect([...files.keys()]).toStrictEqual([CRD_FILE]);
    const inZip = unzipSync(realZip())[`${module}@${version}/scripts/fixtures/${CRD_FILE}`]!;
    expect(files.get(CRD_FILE)).toBe(new TextDecoder().decode(inZip));
    // go asked the database, through the proxy, for the module's record.
    expect(proxy.asked).toContain(`/sumdb/sum.golang.org/lookup/${module}@${version}`);
    expect(proxy.asked).toContain(`/${module}/@v/${version}.zip`);
  });

  it(
    'refuses a zip the proxy altered, in one line naming the module, also when the environment turns the check off',
    { timeout: 60_000 },
    async () => {
      const proxy = await serve({ [`/${module}/@v/${version}.zip`]: tamperedZip(`scripts/fixtures/${CRD_FILE}`, '# one more line\n') });
      for (const [name, value] of Object.entries({
        GOSUMDB: 'off',
        GONOSUMDB: 'github.com/yannh',
        GONOSUMCHECK: '1',
        GOPRIVATE: 'github.com/yannh',
        GOFLAGS: '-insecure',
      }))
        vi.stubEnv(name, value);
      const err = await rejection(moduleYamlFiles(module, version, 'scripts/fixtures', { proxy: proxy.url, modCache: go().modCache }));
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(
        /^github\.com\/yannh\/kubeconform@v0\.7\.0 does not match the checksum database: the proxy served content hashing to h1:\S+, sum\.golang\.org records h1:ZFfniR8VChrWQxaxTUGnNrxw8RIDkjVBrjdhXSamwjw=; refused$/,
      );
    },
  );

  it('refuses a module version the checksum database has no record of', { timeout: 60_000 }, async () => {
    const toys = 'example.org/toys@v1.2.3';
    const proxy = await serve({
      '/example.org/toys/@v/v1.2.3.info': '{"Version":"v1.2.3","Time":"2026-01-01T00:00:00Z"}',
      '/example.org/toys/@v/v1.2.3.mod': 'module example.org/toys\n\ngo 1.22\n',
    });
    const err = await rejection(moduleYamlFiles('example.org/toys', 'v1.2.3', '', { proxy: proxy.url, modCache: go().modCache }));
    expect(err.message).toMatch(
      new RegExp(
        `^${toys.replaceAll('.', '\\.')} cannot be verified: the checksum database has no record of it \\(.*\\); only published module versions can be added$`,
      ),
    );
    expect(err.message).not.toContain('\n');
  });

  it('says which versions exist when the proxy has not the one asked for', { timeout: 60_000 }, async () => {
    const proxy = await serve();
    await expect(moduleYamlFiles(module, 'v9.9.9', '', { proxy: proxy.url, modCache: go().modCache })).rejects.toThrow(
      new Error(`the Go module proxy has no ${module}@v9.9.9; list the versions it has with: go list -m -versions ${module}`),
    );
  });
});
