package dev.tfkit.notebook.engines;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * What runs a notebook's code cells for {@link dev.tfkit.notebook.NotebookRunner}: the in-process
 * Java evaluator or a Jupyter kernel spoken to over ZeroMQ.
 *
 * <p>One engine runs one notebook, cell after cell, on one thread; {@link #interrupt()} and {@link
 * #close()} may be called from another thread (the runner's timeout watchdog).
 */
public interface NotebookEngine extends AutoCloseable {

  /** Receives a cell's outputs as they happen, already in nbformat 4 shape. */
  interface OutputSink {
    /** One output: {@code stream}, {@code display_data}, {@code execute_result} or {@code error}. */
    void output(ObjectNode nbformatOutput);

    /** A {@code display_data} output that later updates may replace, by {@code displayId}. */
    default void display(ObjectNode displayData, String displayId) {
      output(displayData);
    }

    /** Replaces data and metadata of every earlier display with {@code displayId} (in any cell). */
    default void updateDisplay(String displayId, ObjectNode displayData) {}

    /** The cell asked to clear its outputs ({@code wait}: only when the next output arrives). */
    default void clearOutput(boolean wait) {}
  }

  /** How one cell ended: its execution count (null if the engine has none) and whether it failed. */
  record CellResult(Integer executionCount, boolean ok) {}

  /** The language the engine's code is in ({@code java}, {@code python}): parameters are written in it. */
  String language();

  /**
   * Runs one cell's code and blocks until it has finished; outputs (including an {@code error}
   * output when it fails) go to {@code sink} as they happen.
   *
   * @throws java.io.IOException when the engine itself breaks (kernel died, protocol error)
   */
  CellResult execute(String code, OutputSink sink) throws IOException;

  /** Asks the running cell to stop; the cell then ends with an error. Safe from any thread. */
  void interrupt();

  /** Stops the engine and frees what it holds; a running cell ends. Safe from any thread. */
  @Override
  void close();
}
