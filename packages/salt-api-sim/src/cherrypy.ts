/**
 * What CherryPy 18.8.0 (salt-api's web server) puts around every answer: the HTML error page, the
 * status texts, the session cookie and the header order seen in the captures.
 */

export const SERVER_HEADER = 'CherryPy/18.8.0';

/** Reason phrases and CherryPy's default page messages (http.server's table). */
const STATUS: Record<number, [reason: string, message: string]> = {
  200: ['OK', 'Request fulfilled, document follows'],
  202: ['Accepted', 'Request accepted, processing continues off-line'],
  400: ['Bad Request', 'Bad request syntax or unsupported method'],
  401: ['Unauthorized', 'No permission -- see authorization schemes'],
  403: ['Forbidden', 'Request forbidden -- authorization will not help'],
  404: ['Not Found', 'Nothing matches the given URI'],
  405: ['Method Not Allowed', 'Specified method is invalid for this resource.'],
  406: ['Not Acceptable', 'URI not available in preferred format.'],
  413: ['Request Entity Too Large', 'Entity is too large.'],
  500: ['Internal Server Error', 'Server got itself in trouble'],
  503: ['Service Unavailable', 'The server cannot process the request due to a high load'],
  504: ['Gateway Timeout', 'The gateway server did not receive a timely response'],
};

export function reasonPhrase(status: number): string {
  return STATUS[status]?.[0] ?? 'Unknown';
}

/** CherryPy's `escape_html`: only `&`, `<`, `>` (quotes stay as they are, see capture 31). */
function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The `_HTTPErrorTemplate` page, byte for byte (every captured HTML body is this template). */
export function errorPage(status: number, message?: string): string {
  const title = `${status} ${reasonPhrase(status)}`;
  const text = escapeHtml(message ?? STATUS[status]?.[1] ?? '');
  return `<!DOCTYPE html PUBLIC
"-//W3C//DTD XHTML 1.0 Transitional//EN"
"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html>
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8"></meta>
    <title>${title}</title>
    <style type="text/css">
    #powered_by {
        margin-top: 20px;
        border-top: 2px solid black;
        font-style: italic;
    }

    #traceback {
        color: red;
    }
    </style>
</head>
    <body>
        <h2>${title}</h2>
        <p>${text}</p>
        <pre id="traceback"></pre>
    <div id="powered_by">
      <span>
        Powered by <a href="http://www.cherrypy.dev">CherryPy 18.8.0</a>
      </span>
    </div>
    </body>
</html>
`;
}

/** RFC 1123 date as CherryPy writes it (`Sun, 22 Nov 2026 03:00:55 GMT`). */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** CherryPy sessions last 10 hours (`tools.sessions.timeout: 600` minutes). */
export const SESSION_TIMEOUT_S = 36_000;

/** The session cookie CherryPy sets on every request that has sessions on. */
export function sessionCookie(id: string, nowMs: number): string {
  return `session_id=${id}; expires=${httpDate(nowMs + SESSION_TIMEOUT_S * 1000)}; Max-Age=${SESSION_TIMEOUT_S}; Path=/`;
}

/** `cherrypy.lib.sessions.expire()`: the cookie dated one year back, no Max-Age (capture 54). */
export function expiredSessionCookie(id: string, nowMs: number): string {
  return `session_id=${id}; expires=${httpDate(nowMs - 365 * 86_400_000)}; Path=/`;
}

export const CONTENT_TYPE_JSON = 'application/json';
export const CONTENT_TYPE_YAML = 'application/x-yaml';
export const CONTENT_TYPE_HTML = 'text/html;charset=utf-8';

export interface HeaderParts {
  status: number;
  contentType: string;
  contentLength: number;
  nowMs: number;
  /** The request's Origin header: cors_tool echoes it, `*` otherwise. */
  origin?: string;
  /** Extra headers right after the CORS ones (`X-Auth-Token`, `WWW-Authenticate`). */
  extra?: Array<[string, string]>;
  cacheControl?: boolean;
  setCookie?: string;
}

/**
 * Headers in the order the captures show. CherryPy finalises 400/406 error pages with
 * Content-Length before Vary (captures 43, 44, 49); everything else has Vary first.
 */
export function buildHeaders(p: HeaderParts): string[] {
  const h = [
    'Content-Type', p.contentType,
    'Server', SERVER_HEADER,
    'Date', httpDate(p.nowMs),
    'Allow', 'GET, HEAD, POST',
    'Access-Control-Allow-Origin', p.origin ?? '*',
    'Access-Control-Expose-Headers', 'GET, POST',
    'Access-Control-Allow-Credentials', 'true',
  ];
  for (const [name, value] of p.extra ?? []) h.push(name, value);
  if (p.cacheControl) h.push('Cache-Control', 'private');
  const length = String(p.contentLength);
  if (p.status === 400 || p.status === 406) h.push('Content-Length', length, 'Vary', 'Accept-Encoding');
  else h.push('Vary', 'Accept-Encoding', 'Content-Length', length);
  if (p.setCookie) h.push('Set-Cookie', p.setCookie);
  return h;
}
