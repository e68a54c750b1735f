package io.github.spencerpark.ijava.runtime;

import dev.tfkit.kernel.Notebook;
import io.github.spencerpark.jupyter.kernel.display.DisplayData;

/**
 * IJava's {@code Display} functions, for cells written for IJava; they delegate to tfkit's
 * {@link Notebook} (whose functions of the same names every notebook already imports).
 */
public final class Display {
  private Display() {}

  /** What {@code o} shows as. */
  public static DisplayData render(Object o) {
    return Notebook.render(o);
  }

  /** What {@code o} shows as, only as the given MIME types. */
  public static DisplayData render(Object o, String... as) {
    return Notebook.render(o, as);
  }

  /** Shows {@code o} now; returns the display id. */
  public static String display(Object o) {
    return Notebook.display(o);
  }

  public static String display(Object o, String... as) {
    return Notebook.display(o, as);
  }

  /** Replaces what the display with this id shows. */
  public static void updateDisplay(String id, Object o) {
    Notebook.updateDisplay(id, o);
  }

  public static void updateDisplay(String id, Object o, String... as) {
    Notebook.updateDisplay(id, o, as);
  }
}
