package dev.tfkit.notebook.parameters;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tfkit.notebook.document.NotebookDocument;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes parameters as Python assignments, for notebooks run on a Python kernel (as papermill does). */
final class PythonParameters implements ParameterLanguage {

  @Override
  public Injection inject(String parametersCell, Map<String, Object> values) {
    StringBuilder src = new StringBuilder("# Parameters\n");
    Map<String, Object> typed = new LinkedHashMap<>();
    values.forEach(
        (name, raw) -> {
          Object v = raw instanceof String s ? JavaParameters.inferScalar(s) : raw;
          typed.put(name, v);
          src.append(name).append(" = ").append(literal(name, v)).append('\n');
        });
    return new Injection(src.toString(), typed);
  }

  private static String literal(String name, Object v) {
    if (v == null) return "None";
    if (v instanceof Boolean b) return b ? "True" : "False";
    if (v instanceof Double d) {
      if (d.isNaN()) return "float('nan')";
      if (d.isInfinite()) return d > 0 ? "float('inf')" : "float('-inf')";
      return d.toString();
    }
    if (v instanceof Number n) return n.toString();
    if (v instanceof String s) {
      try {
        return NotebookDocument.MAPPER.writeValueAsString(s); // a JSON string is a Python string
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
    if (v instanceof List<?> l) {
      StringBuilder sb = new StringBuilder("[");
      for (Object e : l) sb.append(sb.length() > 1 ? ", " : "").append(literal(name, e));
      return sb.append(']').toString();
    }
    if (v instanceof Map<?, ?> m) {
      StringBuilder sb = new StringBuilder("{");
      m.forEach(
          (k, e) ->
              sb.append(sb.length() > 1 ? ", " : "")
                  .append(literal(name, String.valueOf(k)))
                  .append(": ")
                  .append(literal(name, e)));
      return sb.append('}').toString();
    }
    throw new IllegalArgumentException(
        "parameter '" + name + "': cannot write a " + NotebookParameters.kind(v) + " as Python");
  }
}
