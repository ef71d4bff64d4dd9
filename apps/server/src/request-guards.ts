import { ApiErrorCode, createApiError } from '@rhizome/api';
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

/**
 * Guards against other web pages in the user's browser. An open node on 127.0.0.1 trusts every
 * caller, and a browser will send a "simple" cross-site POST (text/plain or a form body) without
 * asking first, or let a page whose DNS name was rebound to 127.0.0.1 read the node.
 */
export interface RequestGuardOptions {
  /** The node runs without tokens: only loopback host names may address it. */
  readonly open: boolean;
  /** Origins (scheme://host[:port]) allowed to call the node from a browser (RHIZOME_CORS_ORIGINS). */
  readonly corsOrigins: readonly string[];
  /** Sends an error in the app's error shape. */
  readonly refuse: (c: Context, error: unknown) => Response | Promise<Response>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The host name of a Host header, without its port; undefined when it cannot be parsed. */
function hostnameOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Whether a Host header names this machine's loopback interface (any port). */
export function isLoopbackHost(host: string | undefined): boolean {
  const name = host === undefined ? undefined : hostnameOf(host);
  return name !== undefined && LOOPBACK_HOSTS.has(name);
}

/** The `type/subtype` of a Content-Type header, lower-cased, without parameters. */
function mediaTypeOf(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

function hasBody(c: Context): boolean {
  const length = c.req.header('content-length');
  if (length !== undefined) return length !== '0';
  return c.req.header('transfer-encoding') !== undefined;
}

/** The origin this request addressed: what a same-origin page sends as `Origin`. */
function ownOrigin(c: Context): string {
  const url = new URL(c.req.url);
  return `${url.protocol}//${c.req.header('host') ?? url.host}`.toLowerCase();
}

/**
 * Host and Origin checks for every route, and CORS for the allowed origins:
 * - open node: a `Host` that is not a loopback name is refused (403 HOST_NOT_ALLOWED), which
 *   defeats DNS rebinding;
 * - a state-changing request (not GET, HEAD, OPTIONS) from another origin is refused
 *   (403 ORIGIN_NOT_ALLOWED) unless RHIZOME_CORS_ORIGINS lists it; those origins get CORS headers
 *   and preflight answers.
 */
export function createRequestGuards(options: RequestGuardOptions): MiddlewareHandler[] {
  const allowed = new Set(options.corsOrigins.map((origin) => origin.toLowerCase()));
  const guards: MiddlewareHandler[] = [
    async (c, next) => {
      if (options.open) {
        const host = c.req.header('host') ?? new URL(c.req.url).host;
        if (!isLoopbackHost(host)) {
          return options.refuse(
            c,
            createApiError(
              ApiErrorCode.HostNotAllowed,
              'this node runs open (no tokens) and answers only to a loopback host name',
              { details: { host, allowed: [...LOOPBACK_HOSTS] } },
            ),
          );
        }
      }
      const origin = c.req.header('origin');
      if (
        origin !== undefined &&
        !SAFE_METHODS.has(c.req.method) &&
        origin.toLowerCase() !== ownOrigin(c) &&
        !allowed.has(origin.toLowerCase())
      ) {
        return options.refuse(
          c,
          createApiError(
            ApiErrorCode.OriginNotAllowed,
            `requests from ${origin} may not change this node; list it in RHIZOME_CORS_ORIGINS to allow it`,
            { details: { origin } },
          ),
        );
      }
      await next();
    },
  ];
  if (allowed.size > 0) {
    guards.push(
      cors({
        origin: (origin) => (allowed.has(origin.toLowerCase()) ? origin : null),
        allowHeaders: ['authorization', 'content-type', 'last-event-id', 'trpc-accept'],
        allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
        maxAge: 600,
      }),
    );
  }
  return guards;
}

/**
 * JSON routes take only `application/json` bodies (415 UNSUPPORTED_MEDIA_TYPE otherwise): a
 * browser sends text/plain and form bodies cross-site without a preflight.
 */
export function requireJsonBody(
  refuse: (c: Context, error: unknown) => Response | Promise<Response>,
): MiddlewareHandler {
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method) && hasBody(c)) {
      const type = mediaTypeOf(c.req.header('content-type'));
      if (type !== 'application/json') {
        return refuse(
          c,
          createApiError(
            ApiErrorCode.UnsupportedMediaType,
            `the request body must be application/json (got ${type ?? 'no content type'})`,
            { details: { contentType: c.req.header('content-type') ?? null } },
          ),
        );
      }
    }
    await next();
  };
}
