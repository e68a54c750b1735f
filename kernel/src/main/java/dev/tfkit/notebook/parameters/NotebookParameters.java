package dev.tfkit.notebook.parameters;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The parameters given to a notebook run, in the order given: raw strings from {@code -p NAME
 * VALUE} (typed later, by the parameters cell's declarations) and typed values from a YAML or JSON
 * file. A later value for the same name replaces the earlier one.
 */
public final class NotebookParameters {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final Map<String, Object> values;

  private NotebookParameters(Map<String, Object> values) {
    this.values = values;
  }

  /** No parameters: the notebook runs with its defaults. */
  public static NotebookParameters none() {
    return new NotebookParameters(new LinkedHashMap<>());
  }

  /** These parameters plus {@code name} = the raw command-line text {@code value}. */
  public NotebookParameters with(String name, String value) {
    return withValue(name, value);
  }

  /** These parameters plus {@code name} = a typed value (Number, Boolean, String, List or null). */
  public NotebookParameters withValue(String name, Object value) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "parameter name '" + name + "' is not a valid identifier (letters, digits, _ and $)");
    }
    Map<String, Object> next = new LinkedHashMap<>(values);
    next.remove(name); // a replaced value moves to the end, as if given last
    next.put(name, value);
    return new NotebookParameters(next);
  }

  /** These parameters plus every top-level entry of a YAML or JSON file (JSON is YAML too). */
  public NotebookParameters withFile(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("parameters file " + file + " does not exist");
    }
    Object tree;
    try {
      tree = YAML.readValue(file.toFile(), Object.class);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "parameters file " + file + " is not valid YAML or JSON: " + e.getMessage(), e);
    }
    if (tree == null) return this;
    if (!(tree instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(
          "parameters file " + file + " must hold a mapping of name: value, not a " + kind(tree));
    }
    NotebookParameters out = this;
    for (Map.Entry<?, ?> e : map.entrySet()) {
      out = out.withValue(String.valueOf(e.getKey()), e.getValue());
    }
    return out;
  }

  /** The values in the order given (unmodifiable). */
  public Map<String, Object> values() {
    return Collections.unmodifiableMap(values);
  }

  /** Whether no parameter was given. */
  public boolean isEmpty() {
    return values.isEmpty();
  }

  /** Parses a list given on the command line: YAML/JSON flow {@code [1, 2]} or {@code a,b,c}. */
  static List<?> parseList(String text) {
    String t = text.trim();
    if (t.startsWith("[")) {
      try {
        Object v = YAML.readValue(t, Object.class);
        if (v instanceof List<?> l) return l;
      } catch (IOException e) {
        return null;
      }
      return null;
    }
    if (t.isEmpty()) return List.of();
    List<String> parts = new ArrayList<>();
    for (String p : t.split(",", -1)) parts.add(p.trim());
    return parts;
  }

  static String kind(Object v) {
    if (v == null) return "null";
    if (v instanceof Map) return "mapping";
    if (v instanceof List) return "list";
    return v.getClass().getSimpleName();
  }
}
