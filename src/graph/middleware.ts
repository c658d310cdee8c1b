import type { TokenCredential } from '@azure/identity';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { GraphTransportError } from './errors';

function setRequestHeader(context: Context, name: string, value: string): void {
  if (typeof context.request !== 'string') {
    context.request.headers.set(name, value);
    return;
  }
  const options = (context.options ??= {});
  const headers = options.headers;
  if (headers instanceof Headers) {
    headers.set(name, value);
  } else if (Array.isArray(headers)) {
    headers.push([name, value]);
  } else {
    options.headers = { ...(headers ?? {}), [name]: value };
  }
}

abstract class ChainedMiddleware implements Middleware {
  private next: Middleware | undefined;

  setNext(next: Middleware): void {
    this.next = next;
  }

  protected async callNext(context: Context): Promise<void> {
    if (!this.next) throw new Error(`${this.constructor.name} is the last middleware; it needs a next one`);
    await this.next.execute(context);
  }

  abstract execute(context: Context): Promise<void>;
}

/**
 * Adds `Authorization: Bearer` from an Azure credential. With no credential it sends no token (the local
 * emulator). The SDK's own AuthenticationHandler is not used because it strips the header for non-Graph hosts.
 */
export class BearerTokenMiddleware extends ChainedMiddleware {
  constructor(
    private readonly credential: TokenCredential | undefined,
    private readonly scopes: string[],
  ) {
    super();
  }

  async execute(context: Context): Promise<void> {
    if (this.credential) {
      let token: string;
      try {
        const accessToken = await this.credential.getToken(this.scopes);
        if (!accessToken) throw new Error('the credential returned no token');
        token = accessToken.token;
      } catch (err) {
        const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        throw new GraphTransportError(
          'AuthenticationFailed',
          `could not get a token for ${this.scopes.join(' ')} (check the app registration settings and network access to Entra ID): ${reason}`,
        );
      }
      setRequestHeader(context, 'Authorization', `Bearer ${token}`);
    }
    await this.callNext(context);
  }
}

/**
 * Bounds each HTTP attempt (it sits after the RetryHandler, so every retry gets a fresh timer) and turns
 * "no answer" into a GraphTransportError that keeps its cause.
 */
export class TransportMiddleware extends ChainedMiddleware {
  constructor(private readonly timeoutInMs: number) {
    super();
  }

  async execute(context: Context): Promise<void> {
    const options = (context.options ??= {});
    options.signal = AbortSignal.timeout(this.timeoutInMs);
    try {
      await this.callNext(context);
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        throw new GraphTransportError('Timeout', `no answer within ${this.timeoutInMs} ms`);
      }
      if (err instanceof TypeError) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const detail = cause?.code ?? cause?.message;
        throw new GraphTransportError('ConnectionError', detail ? `${err.message} (${detail})` : err.message);
      }
      throw err;
    }
  }
}
