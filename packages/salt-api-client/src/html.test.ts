import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { htmlErrorText } from './html.js';

const DIR = fileURLToPath(new URL('../../../fixtures/salt-api-captures/', import.meta.url));

/** The byte-exact body of real capture `NN`. */
function captureBody(n: string): string {
  const file = readdirSync(DIR).find((f) => f.startsWith(`${n}-`) && f.includes('.body.'));
  if (!file) throw new Error(`no capture ${n}`);
  return readFileSync(DIR + file, 'utf8');
}

describe('htmlErrorText', () => {
  it("extracts the <p> of salt-api's CherryPy error pages", () => {
    expect(['05', '27', '31', '49', '74', '17', '127'].map((n) => htmlErrorText(captureBody(n)))).toEqual([
      'Could not authenticate using provided credentials',
      'No permission -- see authorization schemes',
      'Authentication failure of type "token" occurred for user limited.',
      "Client disabled: 'ssh'. Add to 'netapi_enable_clients' master config option to enable.",
      'Salt Master is not available.',
      'The gateway server did not receive a timely response',
      'No permission -- see authorization schemes',
    ]);
  });

  it('decodes entities, flattens whitespace and returns "" without a <p>', () => {
    expect(htmlErrorText('<p>a &quot;b&quot;\n  &amp; <b>c</b></p>')).toBe('a "b" & c');
    expect(htmlErrorText('plain text')).toBe('');
  });
});
