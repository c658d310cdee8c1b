/**
 * What the HTTP edge lets in, decided from the request line and headers alone, before authentication and before
 * a byte of the body is read: bodies are uncompressed JSON within the size limit (a compressed body could inflate
 * far past it, and restify 11 crashes on a broken gzip stream), and in local mode, which is unauthenticated, only
 * requests addressed to loopback are answered (a DNS-rebinding page cannot reach the bot through another name).
 */
import contentType from 'content-type';
import type { IncomingHttpHeaders } from 'node:http';
import { isLoopbackHost } from '../config';

/** Bot Framework activities are a few KB; 512 KiB leaves room for large card submissions. */
export const MAX_BODY_BYTES = 512 * 1024;

export interface Refusal {
  status: 403 | 413 | 415;
  error: string;
}

export interface AdmissionRequest {
  method?: string;
  headers: IncomingHttpHeaders;
}

/** Methods whose requests are refused without a JSON content type even when empty: a browser sends those cross-site without a preflight. */
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Why the request is refused, or undefined when its body (if any) may be read as JSON. */
export function refusalOf(req: AdmissionRequest, options: { localMode: boolean }): Refusal | undefined {
  const { headers } = req;
  if (options.localMode && !isLoopbackHost(hostName(headers.host))) {
    return { status: 403, error: 'Local mode answers only requests addressed to 127.0.0.1, localhost or [::1].' };
  }
  if (!carriesBody(req)) return undefined;
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    return { status: 415, error: `Content-Encoding "${printable(encoding)}" is not accepted: send the JSON body uncompressed.` };
  }
  const typeProblem = contentTypeProblem(headers['content-type']);
  if (typeProblem) return { status: 415, error: typeProblem };
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) return tooLarge();
  return undefined;
}

export function tooLarge(): Refusal {
  return { status: 413, error: `The body is larger than the ${MAX_BODY_BYTES / 1024} KiB this bot accepts.` };
}

/** True when the request has a body, or is a write that must declare JSON even without one. */
function carriesBody(req: AdmissionRequest): boolean {
  const { headers } = req;
  const length = headers['content-length'];
  const hasBody = headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  return hasBody || WRITE_METHODS.has((req.method ?? '').toUpperCase());
}

function contentTypeProblem(header: string | undefined): string | undefined {
  const accepted = 'only application/json (charset utf-8) is accepted';
  if (!header) return `The request has no Content-Type: ${accepted}.`;
  let parsed: contentType.ParsedMediaType;
  try {
    parsed = contentType.parse(header);
  } catch {
    return `The Content-Type is malformed: ${accepted}.`;
  }
  if (parsed.type !== 'application/json') return `Content-Type "${printable(parsed.type)}" is not accepted: ${accepted}.`;
  const charset = parsed.parameters.charset?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return `Charset "${printable(charset)}" is not accepted: ${accepted}.`;
  return undefined;
}

/** The host part of a Host header: `127.0.0.1:3978` → `127.0.0.1`, `[::1]:3978` → `::1`. */
function hostName(host: string | undefined): string {
  if (!host) return '';
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  return host.split(':')[0].toLowerCase();
}

/** A header value quoted in an answer: short, and printable ASCII only. */
function printable(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 60);
}
