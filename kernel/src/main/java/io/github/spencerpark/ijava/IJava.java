package io.github.spencerpark.ijava;

/**
 * IJava's entry class as notebooks see it: {@code IJava.getKernelInstance()} gives the running
 * kernel, here tfkit's (see {@link JavaKernel}). tfkit's kernel itself starts with {@code
 * dev.tfkit.kernel.TfkitKernel}; this class only serves cells written for IJava.
 */
public final class IJava {
  private IJava() {}

  /** The kernel running the calling cell, or null when no notebook cell runs in this JVM (as IJava). */
  public static JavaKernel getKernelInstance() {
    return JavaKernel.current();
  }
}
