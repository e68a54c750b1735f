package dev.tfkit.server.api;

import dev.tfkit.rest.PredictBodies;
import java.nio.charset.StandardCharsets;

/** A REST answer: HTTP status, content type and body bytes. */
record RestReply(int code, String contentType, byte[] body) {

  static RestReply json(int code, String body) {
    return new RestReply(code, "application/json", body.getBytes(StandardCharsets.UTF_8));
  }

  /** TF Serving's error body, {@code {"error": "..."}}. */
  static RestReply error(int code, String message) {
    return new RestReply(code, "application/json", PredictBodies.errorBody(message));
  }
}
