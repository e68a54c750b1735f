package io.github.spencerpark.ijava.runtime;

import dev.tfkit.kernel.CellFunctions;
import java.util.List;

/** IJava's {@code Magics} functions, for cells written for IJava: magics called from code. */
public final class Magics {
  private Magics() {}

  /** Runs {@code %name args...} and returns its value ({@code %jars}: the added paths). */
  public static <T> T lineMagic(String name, List<String> args) {
    return CellFunctions.lineMagic(name, args);
  }

  /** Runs {@code %%name args...} on {@code body} and returns its value. */
  public static <T> T cellMagic(String name, List<String> args, String body) {
    return CellFunctions.cellMagic(name, args, body);
  }
}
