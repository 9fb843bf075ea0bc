/** Why a caller was refused, worded for the caller; /v1, /api and socket.io send it as it is. */
export class AuthError extends Error {
  override readonly name = 'AuthError';

  constructor(
    readonly status: 401 | 403,
    readonly code: 'missing_api_key' | 'invalid_api_key' | 'malformed_authorization' | 'admin_key_required',
    message: string,
  ) {
    super(message);
  }

  /** OpenAI's and the REST API's `type` for this status. */
  get type(): 'authentication_error' | 'permission_error' {
    return this.status === 401 ? 'authentication_error' : 'permission_error';
  }
}
