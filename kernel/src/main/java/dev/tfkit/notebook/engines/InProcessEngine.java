package dev.tfkit.notebook.engines;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.kernel.CellOutput;
import dev.tfkit.kernel.EvalError;
import dev.tfkit.kernel.EvalResult;
import dev.tfkit.kernel.JavaEvaluator;
import dev.tfkit.kernel.display.MimeBundle;
import dev.tfkit.notebook.document.NotebookOutputs;
import java.nio.file.Path;

/**
 * Runs cells on the tfkit kernel's own Java evaluator ({@link JavaEvaluator}, JShell) inside this
 * JVM: no Jupyter, no ZeroMQ, the same outputs the kernel would send.
 */
public final class InProcessEngine implements NotebookEngine {
  private final JavaEvaluator evaluator;
  private int executionCount;

  private InProcessEngine(JavaEvaluator evaluator) {
    this.evaluator = evaluator;
  }

  /**
   * Starts an evaluator configured like the kernel (IJava's {@code IJAVA_*} environment variables).
   * The JVM's working folder cannot change, so {@code cwd} must be this process's own.
   */
  public static InProcessEngine start(Path cwd) {
    Path here = Path.of("").toAbsolutePath().normalize();
    if (!cwd.toAbsolutePath().normalize().equals(here)) {
      throw new IllegalArgumentException("--cwd " + cwd + ": the inprocess engine runs in tfkit's own JVM, whose "
          + "working folder is " + here + "; run tfkit from " + cwd + " or use --engine jupyter");
    }
    return new InProcessEngine(JavaEvaluator.create());
  }

  /** Wraps an evaluator the caller built (it is closed with this engine). */
  public static InProcessEngine of(JavaEvaluator evaluator) {
    return new InProcessEngine(evaluator);
  }

  @Override
  public String language() {
    return "java";
  }

  @Override
  public CellResult execute(String code, OutputSink sink) {
    int count = ++executionCount;
    boolean[] seen = new boolean[2]; // result, error
    EvalResult r = evaluator.eval(code, out -> {
      if (out instanceof CellOutput.Result) seen[0] = true;
      if (out instanceof CellOutput.Error) seen[1] = true;
      emit(out, count, sink);
    });
    if (!seen[0] && r.value().isPresent()) emit(new CellOutput.Result(r.value().get()), count, sink);
    if (!seen[1] && r.error().isPresent()) emit(new CellOutput.Error(r.error().get()), count, sink);
    return new CellResult(count, r.ok());
  }

  private static void emit(CellOutput out, int count, OutputSink sink) {
    if (out instanceof CellOutput.Stream s) {
      sink.output(NotebookOutputs.stream(s.name(), s.text()));
    } else if (out instanceof CellOutput.Display d) {
      ObjectNode o = NotebookOutputs.displayData(d.bundle().data(), d.bundle().metadata());
      String id = d.bundle().displayId().orElse(null);
      if (d.update()) sink.updateDisplay(id, o);
      else sink.display(o, id);
    } else if (out instanceof CellOutput.Result res) {
      MimeBundle b = res.bundle();
      sink.output(NotebookOutputs.executeResult(count, b.data(), b.metadata()));
    } else if (out instanceof CellOutput.Error e) {
      EvalError err = e.error();
      sink.output(NotebookOutputs.error(err.ename(), err.evalue(), err.traceback()));
    }
  }

  @Override
  public void interrupt() {
    evaluator.interrupt();
  }

  @Override
  public void close() {
    evaluator.close();
  }
}
