/**
 * Named domain errors. The Teams layer maps each to one invoke status code in one place
 * (400/403/404/409/412); anything else is a bug and is logged, never shown as a 500.
 * `message` is a sentence meant for the person who clicked; `messageKey` lets the Teams
 * layer show it in the recipient's language, with `params` filled in.
 */
export type MessageParams = Record<string, string | number>;

export abstract class DomainError extends Error {
  abstract readonly status: 400 | 403 | 404 | 409 | 412;
  constructor(
    readonly messageKey: string,
    readonly params: MessageParams = {},
  ) {
    super(`${messageKey} ${JSON.stringify(params)}`);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  readonly status = 400;
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
}

export class NotFoundError extends DomainError {
  readonly status = 404;
}

export class ConflictError extends DomainError {
  readonly status = 409;
}

/** The request is past a deadline (e.g. its approval timed out): the action is no longer possible. */
export class ExpiredError extends DomainError {
  readonly status = 412;
}

/** A store write lost an optimistic-concurrency race (stale ETag). Retry from a fresh read. */
export class ConcurrencyError extends Error {
  constructor(what: string) {
    super(`concurrent update of ${what}`);
    this.name = 'ConcurrencyError';
  }
}
