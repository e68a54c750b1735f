package dev.tfkit.cli.notebooks;

import dev.tfkit.notebook.NotebookBatch;
import dev.tfkit.notebook.NotebookEngines;
import dev.tfkit.notebook.NotebookRunner;
import dev.tfkit.notebook.document.NotebookDocument;
import dev.tfkit.notebook.parameters.NotebookParameters;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tfkit run-notebook}: runs a notebook headless with parameters, papermill-style, and writes
 * the executed notebook (and an HTML page); a thin layer over {@link NotebookRunner}.
 */
@Command(
    name = "run-notebook",
    mixinStandardHelpOptions = true,
    description = {
      "Run a notebook headless with parameters (like papermill) and write the executed notebook.",
      "Exit code 1 when a cell fails or times out (the output notebook is written first), 2 for bad input."
    })
final class RunNotebookCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "IN.ipynb", description = "The notebook to run.")
  Path input;

  @Parameters(index = "1", arity = "0..1", paramLabel = "OUT.ipynb",
      description = "Where the executed notebook goes (default: IN.out.ipynb beside it; - for stdout).")
  String output;

  @Option(names = {"-p", "--parameter"}, arity = "2", paramLabel = "NAME VALUE", hideParamSyntax = true,
      description = "A parameter; typed after its declaration in the 'parameters' cell. Repeatable.")
  List<String> parameters = new ArrayList<>();

  @Option(names = {"-f", "--parameters-file"}, paramLabel = "FILE",
      description = "YAML or JSON file of parameters (-p values given too win).")
  List<Path> parameterFiles = new ArrayList<>();

  @Option(names = "--cwd", paramLabel = "DIR", description = "Working folder of the notebook's code.")
  Path cwd;

  @Option(names = "--execution-timeout", paramLabel = "SECONDS",
      description = "Longest a cell may run; it is then interrupted and the run fails.")
  Double executionTimeout;

  @Option(names = "--log-output", description = "Stream cell outputs to the terminal as they happen.")
  boolean logOutput;

  @Option(names = "--prepare-only", description = "Write the parameterised notebook without running it.")
  boolean prepareOnly;

  @Option(names = "--engine", paramLabel = "inprocess|jupyter", defaultValue = "inprocess",
      description = "inprocess (the kernel's evaluator in this JVM, default) or jupyter (a kernelspec over ZeroMQ).")
  String engine;

  @Option(names = "--kernel", paramLabel = "NAME",
      description = "Kernelspec for --engine jupyter (default: the one the notebook names).")
  String kernel;

  @Option(names = "--start-timeout", paramLabel = "SECONDS", defaultValue = "60",
      description = "How long a Jupyter kernel may take to start (default ${DEFAULT-VALUE}).")
  double startTimeout;

  @Option(names = "--html", paramLabel = "OUT.html", description = "Also write a self-contained HTML page.")
  Path html;

  @Option(names = "--all", paramLabel = "DIR", description = "Run every notebook in DIR, in name order.")
  Path all;

  @Option(names = "--out", paramLabel = "OUTDIR", description = "Output folder for --all (with index.html).")
  Path outDir;

  @Override
  public Integer call() throws Exception {
    NotebookParameters params = NotebookParameters.none();
    for (Path f : parameterFiles) params = params.withFile(f);
    for (int i = 0; i + 1 < parameters.size(); i += 2) params = params.with(parameters.get(i), parameters.get(i + 1));
    NotebookParameters given = params;
    NotebookRunner.EngineFactory factory =
        NotebookEngines.named(engine, kernel, Duration.ofMillis((long) (startTimeout * 1000)));

    if (all != null) {
      if (input != null || outDir == null) {
        throw new IllegalArgumentException("--all DIR needs --out OUTDIR and no IN.ipynb");
      }
      var entries = NotebookBatch.run(all, outDir, b -> configure(b, given, factory));
      long failed = entries.stream().filter(e -> !e.ok()).count();
      spec.commandLine().getErr().println("run-notebook: " + (entries.size() - failed) + " of " + entries.size()
          + " notebooks completed; index: " + outDir.resolve("index.html"));
      if (failed > 0) {
        List<String> names = entries.stream().filter(e -> !e.ok()).map(e -> e.name() + " (" + e.error() + ")").toList();
        throw new NotebooksFailed(failed + " of " + entries.size() + " notebooks failed: " + String.join("; ", names));
      }
      return 0;
    }
    if (input == null) throw new IllegalArgumentException("give IN.ipynb or --all DIR --out OUTDIR");
    boolean toStdout = "-".equals(output);
    if (toStdout && logOutput) {
      throw new IllegalArgumentException("--log-output and OUT '-' both write to stdout; pick one");
    }
    Path out = toStdout ? null : output != null ? Path.of(output) : defaultOutput(input);
    NotebookDocument result = configure(NotebookRunner.builder(input), given, factory)
        .output(out).html(html).build().run();
    if (toStdout) {
      spec.commandLine().getOut().print(result.toJson());
      spec.commandLine().getOut().flush();
    } else spec.commandLine().getErr().println("run-notebook: wrote " + out + (html == null ? "" : " and " + html));
    return 0;
  }

  private NotebookRunner.Builder configure(
      NotebookRunner.Builder b, NotebookParameters params, NotebookRunner.EngineFactory factory) {
    b.parameters(params).engine(engine, factory).prepareOnly(prepareOnly).progress(spec.commandLine().getErr());
    if (cwd != null) b.cwd(cwd);
    if (executionTimeout != null) {
      if (executionTimeout <= 0) throw new IllegalArgumentException("--execution-timeout must be positive");
      b.executionTimeout(Duration.ofMillis((long) (executionTimeout * 1000)));
    }
    if (logOutput) b.logOutput(spec.commandLine().getOut());
    return b;
  }

  static Path defaultOutput(Path input) {
    String name = input.getFileName().toString();
    String stem = name.endsWith(".ipynb") ? name.substring(0, name.length() - 6) : name;
    return input.resolveSibling(stem + ".out.ipynb");
  }

  /** Some notebooks of a batch failed (exit code 1, like a failing single run). */
  static final class NotebooksFailed extends RuntimeException {
    NotebooksFailed(String message) {
      super(message);
    }
  }
}
