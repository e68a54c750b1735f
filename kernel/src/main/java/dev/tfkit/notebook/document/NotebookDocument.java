package dev.tfkit.notebook.document;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

/**
 * An nbformat 4 notebook as a JSON tree: read, cell helpers, and atomic writes in Jupyter's own
 * layout (one-space indent, multiline strings as lists of lines).
 *
 * <p>The tree is kept as read, so fields tfkit does not know about survive a run untouched.
 */
public final class NotebookDocument {
  /** The notebook module's one JSON mapper (plain Jackson defaults). */
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private final ObjectNode root;

  private NotebookDocument(ObjectNode root) {
    this.root = root;
  }

  /** Reads and checks a notebook file; the message names the file and what is wrong. */
  public static NotebookDocument read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("notebook " + file + " does not exist");
    }
    JsonNode tree;
    try {
      tree = MAPPER.readTree(Files.readAllBytes(file));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "notebook " + file + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
    return of(tree, file.toString());
  }

  /** Wraps a parsed notebook; {@code name} is used in error messages. */
  public static NotebookDocument of(JsonNode tree, String name) {
    if (tree == null || !tree.isObject()) {
      throw new IllegalArgumentException("notebook " + name + " is not a JSON object");
    }
    if (tree.path("nbformat").asInt(-1) != 4) {
      throw new IllegalArgumentException(
          "notebook " + name + " is nbformat " + tree.path("nbformat") + "; only nbformat 4 is supported");
    }
    if (!tree.path("cells").isArray()) {
      throw new IllegalArgumentException("notebook " + name + " has no 'cells' list");
    }
    int i = 0;
    for (JsonNode cell : tree.get("cells")) {
      String type = cell.path("cell_type").asText();
      if (!List.of("code", "markdown", "raw").contains(type)) {
        throw new IllegalArgumentException(
            "notebook " + name + ": cell " + i + " has unknown cell_type '" + type + "'");
      }
      i++;
    }
    ObjectNode copy = ((ObjectNode) tree).deepCopy();
    if (!copy.path("metadata").isObject()) copy.putObject("metadata");
    return new NotebookDocument(copy);
  }

  /** A deep copy, so a run never changes the notebook it was given. */
  public NotebookDocument copy() {
    return new NotebookDocument(root.deepCopy());
  }

  /** The whole JSON tree (live: changes show in what is written). */
  public ObjectNode json() {
    return root;
  }

  /** The notebook's metadata object. */
  public ObjectNode metadata() {
    return (ObjectNode) root.get("metadata");
  }

  /** The cells list (live). */
  public ArrayNode cells() {
    return (ArrayNode) root.get("cells");
  }

  /** The cells as a Java list, in order (live nodes). */
  public List<ObjectNode> cellList() {
    List<ObjectNode> out = new ArrayList<>();
    cells().forEach(c -> out.add((ObjectNode) c));
    return out;
  }

  /** The kernel language named in the metadata ({@code java} when none is named). */
  public String language() {
    String lang = metadata().path("kernelspec").path("language").asText("");
    if (lang.isEmpty()) lang = metadata().path("language_info").path("name").asText("");
    return lang.isEmpty() ? "java" : lang.toLowerCase(Locale.ROOT);
  }

  /** The kernelspec name in the metadata, or null. */
  public String kernelName() {
    String name = metadata().path("kernelspec").path("name").asText("");
    return name.isEmpty() ? null : name;
  }

  /** A cell's source text (stored as a string or as a list of lines). */
  public static String source(JsonNode cell) {
    return NotebookOutputs.text(cell.get("source"));
  }

  /** A cell's tags ({@code metadata.tags}). */
  public static List<String> tags(JsonNode cell) {
    List<String> tags = new ArrayList<>();
    cell.path("metadata").path("tags").forEach(t -> tags.add(t.asText()));
    return tags;
  }

  /** The index of the first cell carrying {@code tag}, or -1. */
  public int indexOfTag(String tag) {
    for (int i = 0; i < cells().size(); i++) {
      if (tags(cells().get(i)).contains(tag)) return i;
    }
    return -1;
  }

  /** Gives every cell an id when the notebook is nbformat 4.5 or newer (where ids are required). */
  public void ensureCellIds() {
    if (root.path("nbformat_minor").asInt(0) < 5) return;
    Set<String> seen = new HashSet<>();
    for (JsonNode c : cells()) {
      String id = c.path("id").asText("");
      if (id.isEmpty() || !seen.add(id)) {
        id = UUID.randomUUID().toString().substring(0, 8);
        ((ObjectNode) c).put("id", id);
        seen.add(id);
      }
    }
  }

  /** A new code cell (empty outputs, no execution count) with the given tags. */
  public ObjectNode newCodeCell(String source, String... tags) {
    ObjectNode cell = newCell("code", source, tags);
    cell.putNull("execution_count");
    cell.putArray("outputs");
    return cell;
  }

  /** A new markdown cell with the given tags. */
  public ObjectNode newMarkdownCell(String source, String... tags) {
    return newCell("markdown", source, tags);
  }

  private ObjectNode newCell(String type, String source, String... tags) {
    ObjectNode cell = MAPPER.createObjectNode();
    cell.put("cell_type", type);
    // Cell ids exist from nbformat 4.5 on; the 4.4 schema forbids them.
    if (root.path("nbformat_minor").asInt(0) >= 5) {
      cell.put("id", UUID.randomUUID().toString().substring(0, 8));
    }
    ObjectNode md = cell.putObject("metadata");
    if (tags.length > 0) {
      ArrayNode t = md.putArray("tags");
      for (String tag : tags) t.add(tag);
    }
    cell.set("source", lines(source));
    return cell;
  }

  /** Text as Jupyter stores multiline strings: a list of lines, each but the last ending in a newline. */
  public static ArrayNode lines(String text) {
    ArrayNode out = MAPPER.createArrayNode();
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        out.add(text.substring(start, i + 1));
        start = i + 1;
      }
    }
    if (start < text.length()) out.add(text.substring(start));
    return out;
  }

  /** The notebook as Jupyter writes it: one-space indent, trailing newline. */
  public String toJson() {
    Separators seps = Separators.createDefaultInstance()
        .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
        .withObjectEmptySeparator("")
        .withArrayEmptySeparator("");
    DefaultPrettyPrinter pp =
        new DefaultPrettyPrinter(seps)
            .withObjectIndenter(new DefaultIndenter(" ", "\n"))
            .withArrayIndenter(new DefaultIndenter(" ", "\n"));
    try {
      return MAPPER.writer(pp).writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("notebook cannot be written as JSON", e);
    }
  }

  /** Writes the notebook to {@code file} atomically (temp file beside it, then rename). */
  public void write(Path file) throws IOException {
    writeAtomically(file, toJson());
  }

  /** Writes text to {@code file} through a temp file in the same folder and a rename. */
  public static void writeAtomically(Path file, String text) throws IOException {
    try {
      AtomicFiles.writeString(file, text);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

}
