package dev.tfkit.server.api;

/**
 * A REST request read whole: method, raw path (no query) and body bytes.
 *
 * @param reserved the body bytes it holds in the gateway's {@link BodyBudget}, given back once
 *     its answer is built
 */
record RestRequest(String method, String path, byte[] body, long reserved) {}
