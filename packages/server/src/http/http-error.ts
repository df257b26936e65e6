import type { ErrorBody, ErrorCode, ErrorIssue } from '@act2/shared';

/** An error the HTTP layer turns into `{ code, message, issues? }` with this status. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ErrorIssue[],
    /** The whole answer, when it carries more than code, message and issues (see `validationBody`). */
    readonly body?: ErrorBody,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
