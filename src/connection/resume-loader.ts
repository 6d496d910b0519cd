/**
 * `resume` on demand: most pages never turn it on, so its code (resume-stream.ts) is loaded with
 * the first connection that asks for it; the target then carries the subprotocol that asks the
 * server (PROTOCOL.md, "Resume") and the stream's factory.
 */
import { unloaded, type Target, type TargetProblem } from './target.js';

let loading: Promise<typeof import('./resume-stream.js')> | null = null;

/** `target` with resume, once its code is here. A target that rejects (its session did) rejects as it would without resume. */
export function withResume(target: Target | TargetProblem | Promise<Target | TargetProblem>): Promise<Target | TargetProblem> {
  const module = (loading ??= import('./resume-stream.js'));
  return Promise.resolve(target).then((settled) =>
    module.then(
      (stream) => stream.resumable(settled),
      (error: unknown) => {
        loading = null;
        return unloaded('resume', error);
      },
    ),
  );
}
