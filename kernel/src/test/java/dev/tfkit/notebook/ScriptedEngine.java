package dev.tfkit.notebook;

import dev.tfkit.notebook.document.NotebookOutputs;
import dev.tfkit.notebook.engines.NotebookEngine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A fake engine for fast tests of the runner's logic: each line of a cell is a command — {@code
 * print TEXT}, {@code value TEXT}, {@code fail MESSAGE}, {@code block} (waits for an interrupt),
 * {@code hang} (ignores interrupts) — and every executed cell's code is recorded.
 */
final class ScriptedEngine implements NotebookEngine {
  final List<String> executed = new ArrayList<>();
  private final CountDownLatch interrupted = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);
  private int count;
  volatile boolean wasClosed;

  @Override
  public String language() {
    return "java";
  }

  @Override
  public CellResult execute(String code, OutputSink sink) throws IOException {
    executed.add(code);
    int n = ++count;
    for (String line : code.split("\n")) {
      String cmd = line.strip();
      if (cmd.startsWith("print ")) {
        sink.output(NotebookOutputs.stream("stdout", cmd.substring(6) + "\n"));
      } else if (cmd.startsWith("value ")) {
        sink.output(NotebookOutputs.executeResult(n, Map.of("text/plain", cmd.substring(6)), Map.of()));
      } else if (cmd.startsWith("fail ")) {
        sink.output(NotebookOutputs.error("java.lang.IllegalStateException", cmd.substring(5),
            List.of("java.lang.IllegalStateException: " + cmd.substring(5), "\tat cell(#" + n + ")")));
        return new CellResult(n, false);
      } else if (cmd.equals("block")) {
        try {
          interrupted.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        sink.output(NotebookOutputs.error("jdk.jshell.EvalException", "interrupted", List.of("interrupted")));
        return new CellResult(n, false);
      } else if (cmd.equals("hang")) {
        try {
          closed.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new IOException("engine closed while the cell ran");
      }
    }
    return new CellResult(n, true);
  }

  @Override
  public void interrupt() {
    interrupted.countDown();
  }

  @Override
  public void close() {
    wasClosed = true;
    closed.countDown();
  }
}
