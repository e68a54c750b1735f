package dev.tfkit.notebook.engines;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** One Jupyter protocol message (v5): header, parent header, metadata and content. */
record JupyterMessage(ObjectNode header, ObjectNode parentHeader, ObjectNode metadata, ObjectNode content) {

  String type() {
    return header.path("msg_type").asText();
  }

  String id() {
    return header.path("msg_id").asText();
  }

  /** The id of the request this message answers ("" when none). */
  String parentId() {
    return parentHeader.path("msg_id").asText("");
  }
}
