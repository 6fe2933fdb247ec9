import { describe, expect, it } from 'vitest';
import { imageRef, imageReferenceError, imageRepositoryProblem, parsePins } from '../src/index.ts';
import { IMAGE_REFERENCES } from './image-references.ts';

describe('image repositories, by the distribution reference grammar', () => {
  it('takes names with and without a registry host, ports, IPv6 hosts and separators', () => {
    for (const name of [
      'nginx',
      'library/nginx',
      'ghcr.io/tokenplace/tokenplace-relay',
      'localhost/app',
      'localhost:5000/team/app',
      'registry.example.com:443/a__b/c.d/e---f',
      '[::1]:5000/app',
      'Registry.Example.com/app',
    ])
      expect([name, imageRepositoryProblem(name)]).toStrictEqual([name, undefined]);
  });

  it('refuses what the kubelet would refuse as InvalidImageName, saying why', () => {
    expect(imageRepositoryProblem('ghcr.io//y')).toBe('has an empty path component (//)');
    expect(imageRepositoryProblem('ghcr.io/y/')).toBe('ends with an empty path component (a trailing /)');
    expect(imageRepositoryProblem('/y')).toBe('starts with an empty path component (a leading /)');
    expect(imageRepositoryProblem('ghcr.io/Team/app')).toBe('has the path component "Team", which must be lower case');
    expect(imageRepositoryProblem('ghcr.io/team_/app')).toMatch(/^has the path component "team_": use lower-case letters/);
    expect(imageRepositoryProblem('ghcr.io/a.-b')).toMatch(/^has the path component "a.-b"/);
    expect(imageRepositoryProblem('-bad.io/app')).toBe('has a registry host "-bad.io" that is not a host name or host:port');
    expect(imageRepositoryProblem('host.io:port/app')).toBe('has a registry host "host.io:port" that is not a host name or host:port');
    expect(imageRepositoryProblem('a'.repeat(64).replace(/a/g, 'f'))).toMatch(/image ID/);
    expect(imageRepositoryProblem(`r/${'a'.repeat(260)}`)).toBe('is longer than 255 characters');
    expect(imageRepositoryProblem('')).toBe('is empty');
  });

  it('is checked where a repository enters: images.json and the rendered reference', () => {
    expect(() => parsePins({ dev: { web: { repository: 'ghcr.io//y', tag: '1' } } }, 'apps/demo/images.json', { web: 'image' })).toThrow(
      'apps/demo/images.json: dev.web: repository "ghcr.io//y" has an empty path component (//)',
    );
    expect(() => imageRef({ repository: 'ghcr.io//y', tag: '1' }, '1.0')).toThrow('image repository "ghcr.io//y" has an empty path component (//)');
    expect(imageRef({ repository: 'ghcr.io/x/y', tag: '1' }, '1.0')).toBe('ghcr.io/x/y:1');
  });
});

describe('image references, by the distribution reference grammar', () => {
  it('parses every reference of the corpus as the distribution reference package does', () => {
    const wrong = IMAGE_REFERENCES.filter(([reference, parses]) => (imageReferenceError(reference) === undefined) !== parses);
    expect(wrong).toStrictEqual([]);
    expect(IMAGE_REFERENCES.filter(([, parses]) => !parses).length).toBeGreaterThan(30);
  });

  it("says why in the package's words", () => {
    expect(imageReferenceError('ghcr.io/acme/app:3.2.0:3.1.0')).toBe('invalid reference format');
    expect(imageReferenceError('ghcr.io/Acme/web:1')).toBe('invalid reference format: repository name (Acme/web) must be lowercase');
    expect(imageReferenceError(`ghcr.io/x@md5:${'a'.repeat(32)}`)).toBe('unsupported digest algorithm');
    expect(imageReferenceError(`ghcr.io/x@sha256:${'a'.repeat(65)}`)).toBe('invalid checksum digest length');
    expect(imageReferenceError(`ghcr.io/x@sha256:${'A'.repeat(64)}`)).toBe('invalid checksum digest format');
    expect(imageReferenceError('a'.repeat(248))).toBe('repository name must not be more than 255 characters');
    expect(imageReferenceError('localhost:5000/x')).toBeUndefined();
  });
});
