import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Identity } from '@beamline/api';

/** The fetch the OIDC client makes its requests with (tests wrap it to forge an issuer's answers). */
export type OidcFetch = client.CustomFetch;

/** What a finished login yields: the ID token's claims and expiry. */
export interface LoginResult {
  readonly claims: Readonly<Record<string, unknown>>;
  /** The ID token's `exp`, seconds since the epoch. */
  readonly exp: number;
}

/**
 * The fetch for the issuer: Node's, or undici's with the issuer's own CA (PlatformConfig
 * `identity.certificateAuthority`) when it has one, trusted for those requests only, not
 * process-wide.
 */
function issuerFetch(certificateAuthority: string | undefined, wrap: ((inner: OidcFetch) => OidcFetch) | undefined): OidcFetch {
  let inner: OidcFetch;
  if (certificateAuthority === undefined) {
    inner = (url, options) => fetch(url, options);
  } else {
    const dispatcher = new Agent({ connect: { ca: certificateAuthority } });
    inner = (url, options) => undiciFetch(url, { ...options, dispatcher });
  }
  return wrap === undefined ? inner : wrap(inner);
}

/**
 * The portal's OpenID Connect client (openid-client 6): the authorization code flow with PKCE
 * (S256), state and nonce, and the ID token checked in full: issuer, audience, nonce, expiry,
 * and its signature against the issuer's JWKS (`enableNonRepudiationChecks`: openid-client
 * otherwise trusts an ID token for having come over TLS from the token endpoint; checking the
 * signature too costs one JWKS fetch, cached, and refuses a token the issuer did not sign).
 */
export class OidcClient {
  readonly #config: client.Configuration;
  /** The redirect URI this client sends (`<manager URL>/auth/callback`). */
  readonly redirectUri: string;

  private constructor(config: client.Configuration, redirectUri: string) {
    this.#config = config;
    this.redirectUri = redirectUri;
  }

  /** Discovers the issuer (`/.well-known/openid-configuration`) and makes the client. */
  static async discover(options: {
    readonly identity: Identity;
    readonly clientSecret?: string;
    readonly redirectUri: string;
    readonly wrapFetch?: (inner: OidcFetch) => OidcFetch;
  }): Promise<OidcClient> {
    const customFetch = issuerFetch(options.identity.certificateAuthority, options.wrapFetch);
    const auth = options.clientSecret === undefined ? client.None() : client.ClientSecretPost(options.clientSecret);
    const config = await client.discovery(new URL(options.identity.issuer), options.identity.clientID, undefined, auth, {
      [client.customFetch]: customFetch,
      timeout: 10,
    });
    config[client.customFetch] = customFetch;
    client.enableNonRepudiationChecks(config);
    return new OidcClient(config, options.redirectUri);
  }

  /** A new login: the issuer's authorization URL and the state, nonce and PKCE verifier to keep until the callback. */
  async start(): Promise<{ url: string; state: string; nonce: string; verifier: string }> {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(this.#config, {
      redirect_uri: this.redirectUri,
      scope: 'openid email profile groups',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.toString(), state, nonce, verifier };
  }

  /**
   * Finishes a login: checks `state` in the callback URL, exchanges the code with the verifier,
   * and verifies the ID token. Throws on anything wrong (the caller answers 401 and logs why).
   */
  async finish(callbackUrl: URL, expected: { readonly state: string; readonly nonce: string; readonly verifier: string }): Promise<LoginResult> {
    const tokens = await client.authorizationCodeGrant(this.#config, callbackUrl, {
      pkceCodeVerifier: expected.verifier,
      expectedState: expected.state,
      expectedNonce: expected.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (claims === undefined) throw new Error('the issuer sent no ID token');
    return { claims: claims, exp: claims.exp };
  }
}
