package dev.tfkit.kernel;

/**
 * Receives a cell's outputs while it runs (stream text as it is printed, displays as they happen),
 * called from the thread that produced them, and answers the cell's reads of {@code System.in}.
 */
@FunctionalInterface
public interface EvalListener {
  EvalListener NONE = output -> {};

  void output(CellOutput output);

  /**
   * A line for a cell reading {@code System.in}; {@code prompt} is what the cell printed last on
   * the line (may be empty). Null (the default) is end of input.
   */
  default String requestInput(String prompt, boolean password) {
    return null;
  }
}
