package io.github.spencerpark.ijava.runtime;

import dev.tfkit.kernel.CellFunctions;
import io.github.spencerpark.jupyter.kernel.display.DisplayData;

/**
 * IJava's {@code Display} functions, for cells written for IJava; they delegate to tfkit's
 * {@link CellFunctions} (whose functions of the same names every notebook already imports).
 */
public final class Display {
  private Display() {}

  /** What {@code o} shows as. */
  public static DisplayData render(Object o) {
    return CellFunctions.render(o);
  }

  /** What {@code o} shows as, only as the given MIME types. */
  public static DisplayData render(Object o, String... as) {
    return CellFunctions.render(o, as);
  }

  /** Shows {@code o} now; returns the display id. */
  public static String display(Object o) {
    return CellFunctions.display(o);
  }

  public static String display(Object o, String... as) {
    return CellFunctions.display(o, as);
  }

  /** Replaces what the display with this id shows. */
  public static void updateDisplay(String id, Object o) {
    CellFunctions.updateDisplay(id, o);
  }

  public static void updateDisplay(String id, Object o, String... as) {
    CellFunctions.updateDisplay(id, o, as);
  }
}
