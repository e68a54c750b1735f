package dev.tfkit.notebook.parameters;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tfkit.notebook.document.NotebookDocument;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Writes given parameters as code of one kernel language, for the {@code injected-parameters}
 * cell (papermill's "translators").
 */
public interface ParameterLanguage {

  /** The injected cell's code and the values as they were typed (for the notebook metadata). */
  record Injection(String source, Map<String, Object> typedValues) {
    /** The typed values as JSON, in order (a typed list as its items), for the notebook metadata. */
    public Map<String, JsonNode> typedJson() {
      Map<String, JsonNode> out = new LinkedHashMap<>();
      typedValues.forEach((k, v) -> {
        Object plain = v instanceof JavaParameters.TypedList tl ? tl.items() : v;
        out.put(k, NotebookDocument.MAPPER.valueToTree(plain));
      });
      return out;
    }
  }

  /**
   * The code that (re)declares {@code values}, typed after the declarations in {@code
   * parametersCell} (empty when the notebook has none).
   *
   * @throws IllegalArgumentException naming the parameter and the expected type when a value cannot
   *     be of that type
   */
  Injection inject(String parametersCell, Map<String, Object> values);

  /** The translator for a kernel language ({@code java}, {@code python}). */
  static ParameterLanguage forLanguage(String language) {
    return switch (language == null ? "java" : language.toLowerCase(Locale.ROOT)) {
      case "java" -> new JavaParameters();
      case "python", "python3" -> new PythonParameters();
      default ->
          throw new IllegalArgumentException(
              "cannot write parameters for kernel language '" + language + "' (supported: java, python)");
    };
  }
}
