import type { Identity } from '@beamline/api';
import type { JwtIssuer } from '@beamline/control-plane';

/**
 * The OIDC issuers a cluster's apiservers trust, from PlatformConfig's `spec.identity` (none when
 * it has none): the issuer, the client as audience, and the claim mappings with their prefixes, so
 * a user's ID token names the same user and groups on every cluster as on the management one.
 */
export function jwtIssuersOf(identity: Identity | undefined): JwtIssuer[] {
  if (identity === undefined) return [];
  return [
    {
      issuer: identity.issuer,
      audiences: [identity.clientID],
      ...(identity.certificateAuthority === undefined ? {} : { certificateAuthority: identity.certificateAuthority }),
      usernameClaim: identity.usernameClaim ?? 'email',
      usernamePrefix: identity.usernamePrefix ?? 'oidc:',
      groupsClaim: identity.groupsClaim ?? 'groups',
      groupsPrefix: identity.groupsPrefix ?? 'oidc:',
    },
  ];
}
