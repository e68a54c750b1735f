package dev.tfkit.kernel;

/**
 * Receives a cell's outputs while it runs (stream text as it is printed, displays as they happen),
 * called from the thread that produced them.
 */
@FunctionalInterface
public interface EvalListener {
  EvalListener NONE = output -> {};

  void output(CellOutput output);
}
