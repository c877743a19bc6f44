/** A user_mgr / topic_mgr request that cannot be done (no such user, user exists, ...). */
export class AuthDbRequestError extends Error {
  override name = "AuthDbRequestError";
}
