export { createApiApp, BODY_LIMIT_BYTES, type ApiOptions } from './app.js';
export { PasswordHasher, DEFAULT_SCRYPT_PARAMS, type ScryptParams } from './auth/passwords.js';
export { LoginThrottle, DEFAULT_LOGIN_LIMITS, type LoginLimits, type ThrottleScope } from './auth/login-throttle.js';
