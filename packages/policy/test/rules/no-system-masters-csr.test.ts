import { describe, expect, it } from 'vitest';
import { noSystemMastersCsr, requestedOrganizations } from '../../src/rules/no-system-masters-csr.ts';
import { REQUESTS } from '../csr-requests.ts';
import { check, manifest, summary } from '../support.ts';

const csr = (request: string, signerName = 'kubernetes.io/kube-apiserver-client', name = 'evil') =>
  manifest('certificates.k8s.io/v1', 'CertificateSigningRequest', name, { spec: { request, signerName, usages: ['client auth'] } }, undefined);

describe('no-system-masters-csr', () => {
  it('reads the organizations of the subject as the API server parses the request', () => {
    expect(requestedOrganizations(REQUESTS.masters)).toStrictEqual(['system:masters']);
    expect(requestedOrganizations(REQUESTS.nodes)).toStrictEqual(['system:nodes', 'dev']);
    expect(requestedOrganizations(REQUESTS.mastersSecond)).toStrictEqual(['dev', 'system:masters']);
    // Not a CERTIFICATE REQUEST block, or no PEM at all: left to the server's own field check.
    const asCertificate = Buffer.from(
      Buffer.from(REQUESTS.masters, 'base64').toString('latin1').replaceAll('CERTIFICATE REQUEST', 'CERTIFICATE'),
    ).toString('base64');
    expect(requestedOrganizations(asCertificate)).toBeUndefined();
    expect(requestedOrganizations(Buffer.from('not a pem').toString('base64'))).toBeUndefined();
  });

  it('refuses a request for system:masters to the API server client signer at spec.request, in the admission plugin words', () => {
    const found = check(noSystemMastersCsr, [csr(REQUESTS.masters), csr(REQUESTS.mastersSecond, undefined, 'second')]);
    expect(summary(found)).toStrictEqual([
      {
        name: 'evil',
        path: 'spec.request',
        message:
          'use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed: the API server refuses this request (CertificateSubjectRestriction admission); request a certificate for a group a RoleBinding grants what the client needs, without O=system:masters.',
      },
      expect.objectContaining({ name: 'second', path: 'spec.request' }),
    ]);
  });

  it('leaves other groups and other signers alone, as the plugin does', () => {
    expect(
      check(noSystemMastersCsr, [
        csr(REQUESTS.nodes),
        csr(REQUESTS.masters, 'kubernetes.io/kube-apiserver-client-kubelet'),
        csr(REQUESTS.masters, 'example.com/signer'),
      ]),
    ).toStrictEqual([]);
  });
});
