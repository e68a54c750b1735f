package dev.tfkit.notebook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.notebook.document.NotebookDocument;
import dev.tfkit.notebook.document.NotebookHtml;
import dev.tfkit.notebook.document.NotebookOutputs;
import dev.tfkit.notebook.engines.NotebookEngine;
import dev.tfkit.notebook.parameters.NotebookParameters;
import dev.tfkit.notebook.parameters.ParameterLanguage;
import java.io.Flushable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a notebook headless, papermill-style: injects parameters after the {@code parameters} cell,
 * runs the code cells in order on a {@link NotebookEngine}, records outputs and timings, stops at
 * the first failing cell, and writes the output notebook (and optionally an HTML page) atomically.
 *
 * <pre>{@code
 * NotebookRunner.builder(Path.of("train.ipynb"))
 *     .output(Path.of("out/train.ipynb"))
 *     .parameters(NotebookParameters.none().with("epochs", "20"))
 *     .executionTimeout(Duration.ofMinutes(5))
 *     .build()
 *     .run();
 * }</pre>
 */
public final class NotebookRunner {
  /** Tag of the cell whose declarations are the defaults. */
  public static final String PARAMETERS_TAG = "parameters";
  /** Tag of the cell tfkit writes with the given parameters. */
  public static final String INJECTED_TAG = "injected-parameters";
  /** Tag of the error banner and anchor cells of a failed notebook (papermill's, so it removes them too). */
  public static final String ERROR_TAG = PapermillRecord.ERROR_TAG;
  /** Key of the run metadata, notebook and cell level: papermill's ({@link PapermillRecord}). */
  public static final String METADATA_KEY = PapermillRecord.METADATA_KEY;
  /** Key of the tfkit-only notebook metadata: {@code engine} and tfkit's {@code version}. */
  public static final String TFKIT_METADATA_KEY = PapermillRecord.TFKIT_METADATA_KEY;

  /** Starts the engine for a notebook. */
  @FunctionalInterface
  public interface EngineFactory {
    /** Starts an engine for {@code notebook}, with {@code cwd} as its working folder. */
    NotebookEngine start(NotebookDocument notebook, Path cwd) throws IOException;

    /** The language parameters are written in for {@code notebook} (known before anything starts). */
    default String language(NotebookDocument notebook) throws IOException {
      return notebook.language();
    }
  }

  private final Path input;
  private final NotebookDocument source;
  private final Path output;
  private final Path html;
  private final NotebookParameters parameters;
  private final Path cwd;
  private final Duration executionTimeout;
  private final Duration interruptGrace;
  private final boolean prepareOnly;
  private final Appendable progress;
  private final Appendable log;
  private final EngineFactory engineFactory;
  private final String engineName;

  private NotebookRunner(Builder b) {
    this.input = b.input;
    this.source = b.source;
    this.output = b.output;
    this.html = b.html;
    this.parameters = b.parameters;
    this.cwd = b.cwd;
    this.executionTimeout = b.executionTimeout;
    this.interruptGrace = b.interruptGrace;
    this.prepareOnly = b.prepareOnly;
    this.progress = b.progress;
    this.log = b.log;
    this.engineFactory = b.engineFactory;
    this.engineName = b.engineName;
  }

  /** A runner for the notebook file {@code input}. */
  public static Builder builder(Path input) {
    return new Builder(Objects.requireNonNull(input, "input"), null);
  }

  /** A runner for a notebook already in memory ({@code name} is used in messages). */
  public static Builder builder(NotebookDocument notebook) {
    return new Builder(null, Objects.requireNonNull(notebook, "notebook"));
  }

  /**
   * The notebook with the given parameters injected, as it would be run: the {@code
   * injected-parameters} cell right after the {@code parameters} cell (at the top when there is
   * none), an earlier injected cell removed, outputs cleared.
   *
   * @throws IllegalArgumentException when a parameter cannot be of its declared type
   */
  public NotebookDocument prepare() throws IOException {
    NotebookDocument nb = source != null ? source.copy() : NotebookDocument.read(input);
    ArrayNode cells = nb.cells();
    for (int i = cells.size() - 1; i >= 0; i--) {
      List<String> tags = NotebookDocument.tags(cells.get(i));
      if (tags.contains(INJECTED_TAG) || PapermillRecord.isErrorCell(tags)) {
        cells.remove(i);
      }
    }
    int paramsAt = nb.indexOfTag(PARAMETERS_TAG);
    ParameterLanguage.Injection injection = null;
    if (!parameters.isEmpty()) {
      String paramsSource = paramsAt < 0 ? "" : NotebookDocument.source(cells.get(paramsAt));
      String language = engineFactory.language(nb);
      injection = ParameterLanguage.forLanguage(language).inject(paramsSource, parameters.values());
      if (paramsAt < 0) {
        progress("no cell is tagged 'parameters'; injecting the parameters at the top");
      }
      cells.insert(paramsAt + 1, nb.newCodeCell(injection.source(), INJECTED_TAG));
    }
    nb.ensureCellIds();
    for (JsonNode c : cells) {
      ObjectNode cell = (ObjectNode) c;
      if ("code".equals(cell.path("cell_type").asText())) {
        cell.putNull("execution_count");
        cell.putArray("outputs");
      }
      PapermillRecord.pendingCell(cell);
    }
    Map<String, JsonNode> typed = injection == null ? new LinkedHashMap<>() : injection.typedJson();
    PapermillRecord.pendingNotebook(nb, typed, input, output, engineName);
    return nb;
  }

  /**
   * Prepares and runs the notebook, writing the output notebook (and HTML page) when asked.
   *
   * @return the executed notebook
   * @throws NotebookExecutionException when a cell fails or times out (the output is written first)
   * @throws IllegalArgumentException when the notebook or a parameter is invalid (nothing ran)
   */
  public NotebookDocument run() throws IOException {
    NotebookDocument nb = prepare();
    if (prepareOnly) {
      write(nb);
      return nb;
    }
    Instant started = Instant.now();
    PapermillRecord.notebookStarted(nb, started);
    List<ObjectNode> cells = nb.cellList();
    long codeCells = cells.stream().filter(NotebookRunner::isCode).count();
    int codeSeen = 0;
    Failure failure = null;
    // Displays by display id, across cells, so an update reaches every copy (as in nbclient).
    Map<String, List<ObjectNode>> displays = new HashMap<>();
    try (NotebookEngine engine = engineFactory.start(nb, cwd);
        Watchdog watchdog = new Watchdog(engine)) {
      for (int i = 0; i < cells.size() && failure == null; i++) {
        ObjectNode cell = cells.get(i);
        Instant t0 = Instant.now();
        PapermillRecord.cellStarted(cell, t0);
        if (isCode(cell)) {
          codeSeen++;
          progress(String.format(Locale.ROOT, "[%d/%d] cell %d ...", codeSeen, codeCells, i + 1));
          failure = runCell(engine, watchdog, cell, i, displays);
        }
        Instant t1 = Instant.now();
        PapermillRecord.cellEnded(cell, t0, t1, failure != null);
        if (isCode(cell)) {
          progress(String.format(Locale.ROOT, "[%d/%d] cell %d %s (%.2f s)", codeSeen, codeCells, i + 1,
              failure == null ? "ok" : "FAILED: " + failure.summary(), PapermillRecord.seconds(t0, t1)));
          if (failure == null && output != null) {
            PapermillRecord.notebookEnded(nb, started, false); // autosave: a killed run leaves its progress
            nb.write(output);
          }
        }
      }
    }
    PapermillRecord.notebookEnded(nb, started, failure != null);
    if (failure != null) {
      PapermillRecord.addErrorBanner(nb, failure.cellIndex, failure.prompt(), failure.summary());
    }
    write(nb);
    if (failure != null) {
      String where = output == null ? "" : "; output notebook: " + output;
      throw new NotebookExecutionException(
          "cell " + (failure.cellIndex + 1) + failure.prompt() + " failed: " + failure.summary() + where,
          failure.cellIndex, failure.executionCount, failure.ename, failure.evalue, nb);
    }
    return nb;
  }

  private Failure runCell(NotebookEngine engine, Watchdog watchdog, ObjectNode cell, int index,
      Map<String, List<ObjectNode>> displays) {
    String code = NotebookDocument.source(cell);
    ArrayNode outputs = (ArrayNode) cell.get("outputs");
    if (code.isBlank()) return null; // like nbclient: an empty cell is not sent to the kernel
    AtomicBoolean clearPending = new AtomicBoolean();
    NotebookEngine.OutputSink sink =
        new NotebookEngine.OutputSink() {
          @Override
          public synchronized void output(ObjectNode out) {
            if (clearPending.getAndSet(false)) outputs.removeAll();
            NotebookOutputs.append(outputs, out);
            logOutput(out);
          }

          @Override
          public synchronized void display(ObjectNode out, String displayId) {
            output(out);
            if (displayId != null && !displayId.isEmpty()) {
              displays.computeIfAbsent(displayId, k -> new ArrayList<>()).add(out);
            }
          }

          @Override
          public synchronized void updateDisplay(String displayId, ObjectNode update) {
            for (ObjectNode shown : displays.getOrDefault(displayId, List.of())) {
              shown.set("data", update.get("data"));
              shown.set("metadata", update.get("metadata"));
            }
          }

          @Override
          public synchronized void clearOutput(boolean wait) {
            if (wait) clearPending.set(true);
            else outputs.removeAll();
          }
        };
    NotebookEngine.CellResult result;
    boolean timedOut;
    try {
      watchdog.arm();
      try {
        result = engine.execute(code, sink);
      } finally {
        timedOut = watchdog.disarm();
      }
    } catch (IOException e) {
      timedOut = watchdog.fired();
      if (!timedOut) {
        ObjectNode err = NotebookOutputs.error("DeadKernelError", e.getMessage(), List.of(String.valueOf(e.getMessage())));
        sink.output(err);
        return new Failure(index, null, "DeadKernelError", e.getMessage());
      }
      result = new NotebookEngine.CellResult(null, false);
    }
    if (result.executionCount() != null) cell.put("execution_count", result.executionCount());
    if (timedOut) {
      String msg = "A cell timed out while it was being executed, after "
          + executionTimeout.toSeconds() + " seconds (--execution-timeout).";
      sink.output(NotebookOutputs.error("CellTimeoutError", msg, List.of("CellTimeoutError: " + msg)));
      return new Failure(index, result.executionCount(), "CellTimeoutError", msg);
    }
    if (!result.ok()) {
      JsonNode err = null;
      for (JsonNode o : outputs) if ("error".equals(o.path("output_type").asText())) err = o;
      String ename = err == null ? "CellExecutionError" : err.path("ename").asText();
      String evalue = err == null ? "the cell failed without an error output" : err.path("evalue").asText();
      return new Failure(index, result.executionCount(), ename, evalue);
    }
    return null;
  }

  private void logOutput(ObjectNode out) {
    if (log == null) return;
    StringBuilder text = new StringBuilder();
    switch (out.path("output_type").asText()) {
      case "stream" -> text.append(NotebookOutputs.text(out.get("text")));
      case "error" -> {
        for (JsonNode line : out.path("traceback")) text.append(NotebookHtml.stripAnsi(line.asText())).append('\n');
      }
      default -> {
        JsonNode data = out.path("data");
        if (data.has("text/plain")) text.append(NotebookOutputs.text(data.get("text/plain"))).append('\n');
        else data.fieldNames().forEachRemaining(mime -> text.append('[').append(mime).append("]\n"));
      }
    }
    emit(log, text.toString());
  }

  /** Writes to a terminal-like stream and flushes, so lines show up as they happen. */
  private static void emit(Appendable to, String text) {
    try {
      to.append(text);
      if (to instanceof Flushable f) f.flush();
    } catch (IOException e) {
      // the terminal went away: the run itself goes on
    }
  }



  private void write(NotebookDocument nb) throws IOException {
    if (output != null) nb.write(output);
    if (html != null) NotebookDocument.writeAtomically(html, NotebookHtml.render(nb, title()));
  }

  private String title() {
    if (input != null) return input.getFileName().toString();
    return output != null ? output.getFileName().toString() : "notebook";
  }

  private void progress(String line) {
    if (progress != null) emit(progress, "run-notebook: " + line + System.lineSeparator());
  }

  private static boolean isCode(JsonNode cell) {
    return "code".equals(cell.path("cell_type").asText());
  }

  /** Where and how a run stopped. */
  private record Failure(int cellIndex, Integer executionCount, String ename, String evalue) {
    String summary() {
      return evalue == null || evalue.isEmpty() ? ename : ename + ": " + evalue;
    }

    String prompt() {
      return executionCount == null ? "" : " (In [" + executionCount + "])";
    }
  }

  /** Interrupts a cell that runs past the timeout, and closes the engine if the interrupt is ignored. */
  private final class Watchdog implements AutoCloseable {
    private final NotebookEngine engine;
    private final ScheduledExecutorService timer;
    private ScheduledFuture<?> pending;
    private ScheduledFuture<?> kill;
    private volatile boolean fired;

    Watchdog(NotebookEngine engine) {
      this.engine = engine;
      this.timer = executionTimeout == null ? null : Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tfkit-notebook-timeout");
        t.setDaemon(true);
        return t;
      });
    }

    void arm() {
      fired = false;
      if (timer == null) return;
      pending = timer.schedule(() -> {
        fired = true;
        engine.interrupt();
        // An interrupt can be ignored (a busy native call): then the engine goes.
        kill = timer.schedule(engine::close, interruptGrace.toMillis(), TimeUnit.MILLISECONDS);
      }, executionTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops the timer; true when it fired for this cell. */
    boolean disarm() {
      if (pending != null) pending.cancel(false);
      if (kill != null) kill.cancel(false);
      return fired;
    }

    boolean fired() {
      disarm();
      return fired;
    }

    @Override
    public void close() {
      if (timer != null) timer.shutdownNow();
    }
  }

  /** Builds a {@link NotebookRunner}. */
  public static final class Builder {
    private final Path input;
    private final NotebookDocument source;
    private Path output;
    private Path html;
    private NotebookParameters parameters = NotebookParameters.none();
    private Path cwd = Path.of("").toAbsolutePath();
    private Duration executionTimeout;
    private Duration interruptGrace = Duration.ofSeconds(5);
    private boolean prepareOnly;
    private Appendable progress;
    private Appendable log;
    private EngineFactory engineFactory = NotebookEngines.named("inprocess", null, Duration.ofSeconds(60));
    private String engineName = "inprocess";

    private Builder(Path input, NotebookDocument source) {
      this.input = input;
      this.source = source;
    }

    /** Where the output notebook goes (none: only returned). */
    public Builder output(Path output) {
      this.output = output;
      return this;
    }

    /** Also write a self-contained HTML page of the executed notebook here. */
    public Builder html(Path html) {
      this.html = html;
      return this;
    }

    /** The parameters to inject. */
    public Builder parameters(NotebookParameters parameters) {
      this.parameters = Objects.requireNonNull(parameters, "parameters");
      return this;
    }

    /** The working folder of the code (default: this process's). */
    public Builder cwd(Path cwd) {
      this.cwd = cwd.toAbsolutePath();
      return this;
    }

    /** The longest a single cell may run; then it is interrupted and the run fails. */
    public Builder executionTimeout(Duration timeout) {
      if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
        throw new IllegalArgumentException("execution timeout must be positive, got " + timeout);
      }
      this.executionTimeout = timeout;
      return this;
    }

    /** How long an interrupted cell may take to stop before the engine is closed (default 5 s). */
    public Builder interruptGrace(Duration grace) {
      this.interruptGrace = Objects.requireNonNull(grace, "grace");
      return this;
    }

    /** Only write the parameterised notebook; run nothing. */
    public Builder prepareOnly(boolean prepareOnly) {
      this.prepareOnly = prepareOnly;
      return this;
    }

    /** Where a progress line per cell goes (none by default). */
    public Builder progress(Appendable progress) {
      this.progress = progress;
      return this;
    }

    /** Stream every cell output here as it happens ({@code --log-output}). */
    public Builder logOutput(Appendable log) {
      this.log = log;
      return this;
    }

    /** The engine that runs the code (default: {@code inprocess}); {@code name} is recorded in the metadata. */
    public Builder engine(String name, EngineFactory factory) {
      this.engineName = Objects.requireNonNull(name, "name");
      this.engineFactory = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /** The runner. */
    public NotebookRunner build() {
      return new NotebookRunner(this);
    }
  }
}
