package dev.tfkit.kernel.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One Jupyter protocol message (v5) as a frontend sends and receives it ({@link JupyterWire}):
 * header, parent header, metadata and content.
 */
public record JupyterMessage(ObjectNode header, ObjectNode parentHeader, ObjectNode metadata, ObjectNode content) {

  /** The message type: {@code execute_reply}, {@code stream}, {@code status} ... */
  public String type() {
    return header.path("msg_type").asText();
  }

  /** This message's id. */
  public String id() {
    return header.path("msg_id").asText();
  }

  /** The id of the request this message answers ("" when none). */
  public String parentId() {
    return parentHeader.path("msg_id").asText("");
  }
}
