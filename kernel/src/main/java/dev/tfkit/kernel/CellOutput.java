package dev.tfkit.kernel;

import dev.tfkit.kernel.display.MimeBundle;

/**
 * One piece of a cell's output, in the order it happened: stream text, a display (or an update of
 * an earlier display), the cell's value, or its error. The kernel turns each into one IOPub message;
 * the headless runner into one notebook output.
 */
public sealed interface CellOutput {
  /** Text written to {@code System.out} ({@code name = "stdout"}) or {@code System.err}. */
  record Stream(String name, String text) implements CellOutput {}

  /** {@code display(...)} output; {@code update} is true for {@code updateDisplay(...)}. */
  record Display(MimeBundle bundle, boolean update) implements CellOutput {}

  /** The value of the cell's last expression. */
  record Result(MimeBundle bundle) implements CellOutput {}

  /** The cell failed. */
  record Error(EvalError error) implements CellOutput {}
}
