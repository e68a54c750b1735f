package dev.tfkit.notebook.document;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * Builds cell outputs the way Jupyter stores them in nbformat 4 ({@code stream}, {@code
 * display_data}, {@code execute_result}, {@code error}), so every engine writes the same shapes.
 */
public final class NotebookOutputs {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private NotebookOutputs() {}

  /** A {@code stream} output: {@code name} is {@code stdout} or {@code stderr}. */
  public static ObjectNode stream(String name, String text) {
    ObjectNode o = JSON.objectNode();
    o.put("output_type", "stream");
    o.put("name", name);
    o.put("text", text);
    return o;
  }

  /** A {@code display_data} output of a MIME bundle (values are strings, or JSON for JSON types). */
  public static ObjectNode displayData(Map<String, ?> data, Map<String, ?> metadata) {
    ObjectNode o = JSON.objectNode();
    o.put("output_type", "display_data");
    o.set("data", bundle(data));
    o.set("metadata", bundle(metadata));
    return o;
  }

  /** An {@code execute_result} output: the cell's value as a MIME bundle. */
  public static ObjectNode executeResult(
      int executionCount, Map<String, ?> data, Map<String, ?> metadata) {
    ObjectNode o = JSON.objectNode();
    o.put("output_type", "execute_result");
    o.put("execution_count", executionCount);
    o.set("data", bundle(data));
    o.set("metadata", bundle(metadata));
    return o;
  }

  /** An {@code error} output: exception name, message and traceback lines. */
  public static ObjectNode error(String ename, String evalue, List<String> traceback) {
    ObjectNode o = JSON.objectNode();
    o.put("output_type", "error");
    o.put("ename", ename);
    o.put("evalue", evalue == null ? "" : evalue);
    ArrayNode tb = o.putArray("traceback");
    traceback.forEach(tb::add);
    return o;
  }

  /**
   * Adds {@code output} to a cell's outputs the way Jupyter front ends do: text of the same stream
   * directly after each other is joined into one output.
   */
  public static void append(ArrayNode outputs, ObjectNode output) {
    if ("stream".equals(output.path("output_type").asText()) && outputs.size() > 0) {
      JsonNode last = outputs.get(outputs.size() - 1);
      if ("stream".equals(last.path("output_type").asText())
          && last.path("name").asText().equals(output.path("name").asText())) {
        ((ObjectNode) last).put("text", text(last.get("text")) + text(output.get("text")));
        return;
      }
    }
    outputs.add(output);
  }

  /** The text of a multiline field, stored either as one string or as a list of lines. */
  public static String text(JsonNode node) {
    if (node == null || node.isNull()) return "";
    if (node.isArray()) {
      StringBuilder sb = new StringBuilder();
      node.forEach(n -> sb.append(n.asText()));
      return sb.toString();
    }
    return node.isTextual() ? node.asText() : node.toString();
  }

  private static ObjectNode bundle(Map<String, ?> data) {
    ObjectNode o = JSON.objectNode();
    if (data == null) return o;
    data.forEach(
        (k, v) -> {
          if (v instanceof JsonNode n) o.set(k, n);
          else if (v == null) o.putNull(k);
          else if (v instanceof CharSequence) o.put(k, v.toString());
          else o.set(k, NotebookDocument.MAPPER.valueToTree(v)); // application/json and friends
        });
    return o;
  }
}
