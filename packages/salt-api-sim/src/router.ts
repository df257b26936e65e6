/** Path and method → endpoint, with CherryPy's answers for the rest (404, 405, CORS preflight). */
import {
  jobsGet,
  keysGet,
  loginGet,
  loginPost,
  logoutPost,
  minionsGet,
  minionsPost,
  rootGet,
  rootPost,
  runPost,
  tokenPost,
} from './endpoints.js';
import type { Endpoint } from './pipeline.js';

export type Route = { endpoint: Endpoint } | { status: 404 | 405; message?: string } | { preflight: true };

type Methods = { GET?: Endpoint; POST?: Endpoint };

function resource(path: string): { base: string; arg: string | undefined } | undefined {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { base: '', arg: undefined };
  if (parts.length > 2) return undefined;
  return { base: parts[0] ?? '', arg: parts[1] };
}

function methodsFor(base: string, arg: string | undefined): Methods | undefined {
  switch (base) {
    case '':
      return { GET: rootGet, POST: rootPost };
    case 'login':
      return arg === undefined ? { GET: loginGet, POST: loginPost } : undefined;
    case 'logout':
      return arg === undefined ? { POST: logoutPost } : undefined;
    case 'minions':
      return { GET: minionsGet(arg), POST: minionsPost };
    case 'jobs':
      return { GET: jobsGet(arg) };
    case 'keys':
      return { GET: keysGet(arg) };
    case 'run':
      return arg === undefined ? { POST: runPost } : undefined;
    case 'token':
      return arg === undefined ? { POST: tokenPost } : undefined;
    default:
      return undefined;
  }
}

export function route(method: string, rawPath: string): Route {
  const path = rawPath.split('?')[0] ?? '/';
  let target: ReturnType<typeof resource>;
  try {
    target = resource(path);
  } catch {
    target = undefined;
  }
  const methods = target ? methodsFor(target.base, target.arg) : undefined;
  if (!methods) return { status: 404, message: `The path '${path}' was not found.` };
  if (method === 'OPTIONS') return { preflight: true };
  const endpoint = method === 'HEAD' ? methods.GET : methods[method as keyof Methods];
  return endpoint ? { endpoint } : { status: 405 };
}
