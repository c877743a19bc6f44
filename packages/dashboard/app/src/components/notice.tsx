// Status and error lines, announced to screen readers.
import { describeError } from "../lib/errors.ts";

/** An error line (`role="alert"`), nothing when there is no error. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <p class="notice notice-error" role="alert">
      {describeError(error)}
    </p>
  );
}

/** A polite status line (`role="status"`), nothing for an empty message. */
export function StatusNotice({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <p class="notice notice-ok" role="status">
      {message}
    </p>
  );
}
