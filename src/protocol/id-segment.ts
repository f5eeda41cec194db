/**
 * What "looks like an identifier" in a URL path segment or a Redis key segment: all digits, a
 * UUID, or 8+ word characters mixing letters and digits (a slug with an id suffix, a hash).
 * One definition for the agent's route names and the core's key patterns, so `/users/42` and
 * `user:42:profile` agree on what an id is.
 */
export const ID_SEGMENT_SOURCE = String.raw`(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?=[A-Za-z_-]*\d)(?=[\d_-]*[A-Za-z])[\w-]{8,})`;
