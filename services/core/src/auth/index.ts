/** @chat4all/core/auth: Tokens: issuing and verifying the JWTs of the api and the gateway. */
export { type TokenClaims, TokenService, type TokenServiceOptions, bearerToken } from './tokens.js';
