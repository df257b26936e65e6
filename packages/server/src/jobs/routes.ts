import { API_PREFIX, Job, JobIdParams, JobList, JobListQuery, JobRequest, JobSummary } from '@act2/shared';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Principal } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { HttpError } from '../http/http-error.js';
import { createJob } from './create-job.js';
import { getJob, listJobs } from './repository.js';
import { jobRequestValidator } from './request-validator.js';

/** The API token's name (the audit's "who"); `anonymous` when auth is off (`--auth none`). */
function requester(request: FastifyRequest): string {
  const principal = request.principal as Principal | null | undefined;
  return principal?.kind === 'token' ? principal.name : 'anonymous';
}

const JOBS_SCOPE = { scope: 'jobs' } as const;

export const jobRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    `${API_PREFIX}/jobs`,
    { config: JOBS_SCOPE, validatorCompiler: jobRequestValidator, schema: { body: JobRequest, response: { 202: JobSummary } } },
    async (request, reply) => {
      const job = await createJob(ctx, request.body, requester(request), app.jobRunner);
      // Not followed here (no room, or no runner): some instance's runner claims it.
      if (job.status === 'pending') app.jobRunner.wake();
      return reply.code(202).send(job);
    },
  );

  app.get(`${API_PREFIX}/jobs/:id`, { config: JOBS_SCOPE, schema: { params: JobIdParams, response: { 200: Job } } }, async (request) => {
    const job = await getJob(ctx.db, request.params.id);
    if (!job) throw new HttpError(404, 'ACT2_NOT_FOUND', 'No job with this id');
    return job;
  });

  app.get(`${API_PREFIX}/jobs`, { config: JOBS_SCOPE, schema: { querystring: JobListQuery, response: { 200: JobList } } }, async (request) => {
    const { cursor, since, ...filter } = request.query;
    const before = cursor === undefined ? undefined : decodeCursor(cursor, ['number', 'string'] as const);
    const { items, last } = await listJobs(ctx.db, { ...filter, before, since });
    return { items, next_cursor: last === null ? null : encodeCursor(last) };
  });
};
