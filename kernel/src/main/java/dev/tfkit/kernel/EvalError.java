package dev.tfkit.kernel;

import java.util.List;

/**
 * Why a cell failed, in Jupyter's terms: the error's name (an exception class name, or {@code
 * CompilationException}), its value (the message) and a readable, trimmed traceback.
 *
 * @param ename short name, e.g. {@code java.lang.ArithmeticException} or {@code CompilationException}
 * @param evalue the message
 * @param traceback lines to show, without newlines inside
 */
public record EvalError(String ename, String evalue, List<String> traceback) {
  public EvalError {
    traceback = List.copyOf(traceback);
  }

  /** The traceback as one text block. */
  public String text() {
    return String.join("\n", traceback);
  }
}
