/**
 * The longest path parameter the router matches (Fastify's default, stated once): a longer one
 * is answered 414 `uri_too_long`, saying this limit. No id of ours comes near it.
 */
export const MAX_PARAM_LENGTH = 100;
