/**
 * `url` with its password replaced by `***`, for logs and error messages
 * (database and Redis URLs alike: `postgresql://u:***@db/x`, `redis://:***@host:6379/0`).
 * With `maskBareUser` (Redis URLs), a user name with no password is masked too: it may be the password.
 * Anything that does not parse as a URL is replaced whole by `placeholder`.
 */
export function redactUrl(url: string, placeholder = "<URL>", maskBareUser = false): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    // For Redis a user without a password may be one (`redis://s3cret@host` is a common spelling).
    else if (maskBareUser && parsed.username !== "") parsed.username = "***";
    return parsed.toString();
  } catch {
    return placeholder;
  }
}
