import { RegisterMinion, RegisterRequest, toErrorIssues, MAX_ERROR_ISSUES, type ErrorIssue } from '@act2/shared';
import { z } from 'zod';
import { validationBody } from '../http/validation-body.js';
import { HttpError } from '../http/http-error.js';
import { tooManyMinions } from '../http/json-shape.js';
import { yieldToEventLoop } from '../yield.js';
import { checkPlainMinion } from './minion-check.js';

/** Everything of a registration but its minions, which are checked one at a time. */
const Envelope = RegisterRequest.extend({ minions: z.array(z.unknown()) });

/** Minions validated between two yields to the event loop. */
const VALIDATE_SLICE = 1_000;

/**
 * Validates a registration body without letting a huge or hopeless one hold the process:
 * too many minions is a 413 before anything else is looked at; minions are checked one by one,
 * yielding to the event loop between slices, and validation stops once {@link MAX_ERROR_ISSUES}
 * minions have failed (a payload of a million `{}` costs no more than one of thirty). The 400
 * lists at most that many issues and counts the rest.
 */
export async function validateRegistration(body: unknown, limits: { maxMinions: number }): Promise<RegisterRequest> {
  const minionsIn = (body as { minions?: unknown } | null | undefined)?.minions;
  if (Array.isArray(minionsIn) && minionsIn.length > limits.maxMinions) {
    throw tooManyMinions(limits.maxMinions, minionsIn.length);
  }

  const issues: ErrorIssue[] = [];
  const envelope = Envelope.safeParse(body);
  if (!envelope.success) issues.push(...toErrorIssues(envelope.error));

  const minions: RegisterMinion[] = [];
  let failedMinions = 0;
  let checked = 0;
  if (Array.isArray(minionsIn)) {
    for (; checked < minionsIn.length && failedMinions < MAX_ERROR_ISSUES; checked += 1) {
      if (checked > 0 && checked % VALIDATE_SLICE === 0) await yieldToEventLoop();
      // The usual minion is checked by hand (the same rules, see minion-check.ts); the rest by zod.
      const plain = checkPlainMinion(minionsIn[checked]);
      if (plain !== undefined) {
        minions.push(plain);
        continue;
      }
      const result = RegisterMinion.safeParse(minionsIn[checked]);
      if (result.success) minions.push(result.data);
      else {
        failedMinions += 1;
        issues.push(...toErrorIssues(result.error, ['minions', checked]));
      }
    }
  }
  if (issues.length > 0 || !envelope.success) {
    const incomplete = Array.isArray(minionsIn) && checked < minionsIn.length;
    const named = [...new Set(issues.map((i) => i.path || 'body'))];
    const fields = named.length > 10 ? [...named.slice(0, 10), '…'] : named;
    const message = incomplete
      ? `Invalid body: ${fields.join(', ')}; validation stopped after ${failedMinions} invalid minions (${minionsIn.length - checked} not checked)`
      : `Invalid body: ${fields.join(', ')}`;
    throw new HttpError(400, 'ACT2_VALIDATION', message, undefined, validationBody(message, issues, { incomplete }));
  }
  return { ...envelope.data, minions };
}
