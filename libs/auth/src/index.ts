export { AuthError } from './auth-error.js';
export { Authenticator, type AuthenticatorOptions } from './authenticator.js';
export { keyBudgetOf, periodEnd, type KeyBudget } from './key-budget.js';
export type { AuthLogger } from './key-usage.recorder.js';
export type { Principal } from './principal.js';
