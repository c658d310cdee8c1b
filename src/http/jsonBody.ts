/**
 * Reads an admitted request's body as JSON: at most MAX_BODY_BYTES actually read (whatever Content-Length said),
 * nested at most MAX_JSON_DEPTH deep (deeper JSON parses, but recursive code downstream would overflow the stack).
 */
import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { MAX_BODY_BYTES, tooLarge } from './admission';

/** A Teams activity with an Adaptive Card submission is about 10 levels deep. */
const MAX_JSON_DEPTH = 64;

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/** The client went away before sending the whole body: there is nobody to answer. */
export class BodyAbortedError extends Error {
  constructor() {
    super('the client closed the connection before sending the whole body');
    this.name = 'BodyAbortedError';
  }
}

/** The parsed body, or undefined when it is empty. Throws BodyError (answer it) or BodyAbortedError (do not). */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  let text: string;
  try {
    text = await getRawBody(req, { length: req.headers['content-length'], limit: MAX_BODY_BYTES, encoding: 'utf-8' });
  } catch (err) {
    throw bodyReadError(err);
  }
  if (text.trim() === '') return undefined;
  if (nestingDepth(text) > MAX_JSON_DEPTH) throw new BodyError(400, `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep.`);
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError(400, 'The body is not valid JSON.');
  }
}

function bodyReadError(err: unknown): Error {
  switch ((err as { type?: string }).type) {
    case 'entity.too.large':
      return new BodyError(413, tooLarge().error);
    case 'request.aborted':
      return new BodyAbortedError();
    case 'request.size.invalid':
      return new BodyError(400, 'The body is not as long as its Content-Length says.');
    default:
      return new BodyError(400, 'The body could not be read.');
  }
}

/** The deepest nesting of arrays and objects in JSON text (brackets inside strings do not count). */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return deepest;
}
