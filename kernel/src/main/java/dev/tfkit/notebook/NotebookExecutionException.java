package dev.tfkit.notebook;

import dev.tfkit.notebook.document.NotebookDocument;
/**
 * A notebook run stopped at a failing (or timed-out) cell; the output notebook, with everything up
 * to and including the error, has been written. Like papermill's {@code PapermillExecutionError}.
 */
public final class NotebookExecutionException extends RuntimeException {
  private final int cellIndex;
  private final Integer executionCount;
  private final String ename;
  private final String evalue;
  private final transient NotebookDocument notebook;

  NotebookExecutionException(
      String message, int cellIndex, Integer executionCount, String ename, String evalue,
      NotebookDocument notebook) {
    super(message);
    this.cellIndex = cellIndex;
    this.executionCount = executionCount;
    this.ename = ename;
    this.evalue = evalue;
    this.notebook = notebook;
  }

  /** The failing cell's index (0-based) in the parameterised notebook, before the error banner was added. */
  public int cellIndex() {
    return cellIndex;
  }

  /** The failing cell's execution count, or null. */
  public Integer executionCount() {
    return executionCount;
  }

  /** The exception's name as the kernel reported it (e.g. {@code java.lang.ArithmeticException}). */
  public String ename() {
    return ename;
  }

  /** The exception's message as the kernel reported it. */
  public String evalue() {
    return evalue;
  }

  /** The output notebook as written (error banner, outputs so far). */
  public NotebookDocument notebook() {
    return notebook;
  }
}
