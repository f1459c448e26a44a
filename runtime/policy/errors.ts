/** The policy layer's error: a policy that can't be loaded, built or evaluated, or bad policy input/data. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}
