/**
 * The TLS protocol versions, named as `node:tls` names them, oldest first:
 * the one list that both the client's `minSupportTlsProtocol` (whose values
 * are indexes into it) and the transports' version checks use.
 *
 * @module
 */

/** TLS versions, oldest first; `TlsProtocol` values of the platform index this list. */
export const TLS_VERSIONS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;

/** One of {@linkcode TLS_VERSIONS}. */
export type TlsVersion = typeof TLS_VERSIONS[number];

/**
 * True when `negotiated` (as a TLS socket reports it) is a known version
 * older than `minimum`. An unknown name is not judged older.
 */
export function isOlderTlsVersion(negotiated: string, minimum: TlsVersion): boolean {
  const rank = (TLS_VERSIONS as readonly string[]).indexOf(negotiated);
  return rank >= 0 && rank < TLS_VERSIONS.indexOf(minimum);
}
