const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'" };

/**
 * salt-api's errors are CherryPy HTML pages whose only useful part is the first `<p>`
 * ("Could not authenticate using provided credentials", "Client disabled: 'runner'. …").
 * Returns that text on one line, or '' when there is none.
 */
export function htmlErrorText(body: string): string {
  const match = /<p>([\s\S]*?)<\/p>/i.exec(body);
  if (!match?.[1]) return '';
  return match[1]
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|apos|#39|#x27);/g, (_, name: string) => ENTITIES[name] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}
