import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { at, finding, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-system-masters-csr';

const CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
const MASTERS = 'system:masters';
const ORGANIZATION = '2.5.4.10';

/**
 * The organizations of a CSR's subject, read as the API server reads `spec.request`: the first PEM
 * block, which must be a CERTIFICATE REQUEST, its DER parsed as PKCS #10 (crypto/x509's
 * ParseCertificateRequest), and every O whose value is a string type that Go's pkix.Name takes (not a
 * UniversalString). Undefined for a request the server cannot parse: its own field check refuses that.
 */
export function requestedOrganizations(request: string): string[] | undefined {
  const pem = /-----BEGIN ([^\n]*?)-----\r?\n([\s\S]*?)-----END \1-----/.exec(Buffer.from(request, 'base64').toString('latin1'));
  if (!pem || pem[1] !== 'CERTIFICATE REQUEST') return undefined;
  // Headers (Name: value lines) come before a blank line; the rest is the base64 of the DER.
  const body = pem[2]!.includes(':') ? pem[2]!.replace(/^[\s\S]*?\r?\n\r?\n/, '') : pem[2]!;
  try {
    const csr = AsnConvert.parse(Buffer.from(body.replace(/\s+/g, ''), 'base64'), CertificationRequest);
    // The library's Name and RDN are Array subclasses; plain arrays out.
    return [...csr.certificationRequestInfo.subject].flatMap((rdn) =>
      [...rdn].filter((atv) => atv.type === ORGANIZATION && atv.value.universalString === undefined).map((atv) => atv.value.toString()),
    );
  } catch {
    return undefined;
  }
}

/**
 * A CertificateSigningRequest for the API server's client signer that asks for the system:masters
 * group: the CertificateSubjectRestriction admission plugin, on in every cluster, refuses to create
 * it, whatever the cluster holds. Not a matter of taste, so no env lowers it.
 */
export const noSystemMastersCsr: Rule = {
  id,
  description: `No CertificateSigningRequest for the ${CLIENT_SIGNER} signer asks for the ${MASTERS} group (an O of its subject), which every API server refuses to create. Its severity cannot be lowered.`,
  defaultSeverity: 'error',
  fixedSeverity: true,
  check(objects) {
    const out: RuleFinding[] = [];
    for (const csr of objects) {
      const m = csr.manifest;
      if (m.kind !== 'CertificateSigningRequest' || !/^certificates\.k8s\.io\//.test(m.apiVersion)) continue;
      if (at(m, 'spec', 'signerName') !== CLIENT_SIGNER) continue;
      const request = str(at(m, 'spec', 'request'));
      if (request === undefined || !requestedOrganizations(request)?.includes(MASTERS)) continue;
      out.push(
        finding(
          id,
          csr,
          `use of ${CLIENT_SIGNER} signer with ${MASTERS} group is not allowed: the API server refuses this request (CertificateSubjectRestriction admission); request a certificate for a group a RoleBinding grants what the client needs, without O=${MASTERS}.`,
          'spec.request',
        ),
      );
    }
    return out;
  },
};
