import type { TokenScope } from '@act2/shared';

/**
 * Who sent a request, as the auth plugin established it (`request.principal`).
 * - `token`: an API token; `name` is what audit fields (a job's requested_by) record
 * - `master-key`: a master's own key; it may only register that master, and only in `idc` when the
 *   token that enrolled it was limited to one
 * - `certificate`: a client certificate whose CN is a master sn (`--tls-client-cn-is-sn`)
 * - `anonymous`: no credential on a route that allows it (`--allow-anonymous-register`) or a public route
 * - `none`: auth is off (`--auth none`)
 */
export type Principal =
  | { kind: 'token'; tokenId: string; name: string; scopes: TokenScope[]; idc: string | null }
  | { kind: 'master-key'; sn: string; idc: string | null }
  | { kind: 'certificate'; cn: string }
  | { kind: 'anonymous' }
  | { kind: 'none' };

/** How a principal is written in events and logs (`token:agents-sh`, `master-key:SN`, `anonymous`). */
export function describePrincipal(principal: Principal): string {
  switch (principal.kind) {
    case 'token':
      return `token:${principal.name}`;
    case 'master-key':
      return `master-key:${principal.sn}`;
    case 'certificate':
      return `certificate:${principal.cn}`;
    default:
      return principal.kind;
  }
}
