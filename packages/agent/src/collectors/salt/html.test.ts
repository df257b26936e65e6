import { describe, expect, it } from 'vitest';
import { capture } from '../../../test/helpers/captures.js';
import { htmlErrorText } from './html.js';

describe('htmlErrorText', () => {
  it("extracts the <p> of salt-api's CherryPy error pages", () => {
    expect(['05', '27', '31', '49', '74', '17'].map((n) => htmlErrorText(capture(n).body.toString()))).toEqual([
      'Could not authenticate using provided credentials',
      'No permission -- see authorization schemes',
      'Authentication failure of type "token" occurred for user limited.',
      "Client disabled: 'ssh'. Add to 'netapi_enable_clients' master config option to enable.",
      'Salt Master is not available.',
      'The gateway server did not receive a timely response',
    ]);
  });

  it('decodes entities, flattens whitespace and returns "" without a <p>', () => {
    expect(htmlErrorText('<p>a &quot;b&quot;\n  &amp; <b>c</b></p>')).toBe('a "b" & c');
    expect(htmlErrorText('plain text')).toBe('');
  });
});
