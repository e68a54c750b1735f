package dev.tfkit.notebook;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Runs cells on the tfkit kernel's own Java evaluator inside this JVM: no Jupyter, no ZeroMQ.
 */
public final class InProcessEngine implements NotebookEngine {
  private InProcessEngine() {}

  /** Starts an evaluator whose relative paths resolve against {@code cwd}. */
  public static InProcessEngine start(Path cwd) throws IOException {
    throw new UnsupportedOperationException(
        "the inprocess engine needs the kernel's evaluator, which is not in this build yet; use --engine jupyter");
  }

  @Override
  public String language() {
    return "java";
  }

  @Override
  public CellResult execute(String code, OutputSink sink) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void interrupt() {}

  @Override
  public void close() {}
}
